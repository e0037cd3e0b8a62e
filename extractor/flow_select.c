/* flow_select.c: see flow_select.h. */
#include "flow_select.h"
#include "flow.h"

gboolean fs_flow_selected(const struct fs_flow *flow, const struct fs_select *select)
{
    if (!select)
        return TRUE;
    if (select->flow_filter && !flow->flow_filter_matched)
        return FALSE;
    return flow->packets_total >= select->min_packets && flow->bytes_total >= select->min_bytes;
}
