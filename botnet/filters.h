/* filters.h: BotMiner's flow filters as the botnet analyses share them
 * (../shared/spec/botcapturer.md §4.3 step 2, doc/botnet.md): F2, "the flow
 * was established", on one record as window/record_reader.h hands it out. */
#ifndef FS_BOTNET_FILTERS_H
#define FS_BOTNET_FILTERS_H

#include <glib.h>

#include "record_reader.h"

/* F2: TRUE when rec has at least 2 packets (elements of ip_lengths, the
 * rule of BotCapturer's code) and, with established, at least one packet
 * each way (a positive element: src to dst; a negative one: dst to src).
 * rec is borrowed. */
gboolean fs_botnet_f2(const struct fs_read_record *rec, gboolean established);

#endif
