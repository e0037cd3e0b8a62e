/* filters.c: see filters.h. */
#include "filters.h"

gboolean fs_botnet_f2(const struct fs_read_record *rec, gboolean established)
{
    if (rec->packets < 2)
        return FALSE;
    if (!established)
        return TRUE;
    gboolean up = FALSE, down = FALSE;
    for (guint i = 0; i < rec->packets && !(up && down); i++) {
        if (rec->lengths[i] > 0)
            up = TRUE;
        else if (rec->lengths[i] < 0)
            down = TRUE;
    }
    return up && down;
}
