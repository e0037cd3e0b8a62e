/* flow_select.h: which finished flows get a record (--flow-filter,
 * --min-packets, --min-bytes). The decision is one function of the flow's
 * counts, made where records are written; a flow that is not selected is
 * not written and not counted among the flows written. */
#ifndef FS_FLOW_SELECT_H
#define FS_FLOW_SELECT_H

#include <glib.h>

struct fs_flow;

/* What a flow needs to be written. Plain struct; the zeroed struct selects
 * every flow. */
struct fs_select {
    gboolean flow_filter; /* --flow-filter given: a packet of the flow matched it */
    guint64 min_packets;  /* --min-packets: at least this many packets (packets_total) */
    guint64 min_bytes;    /* --min-bytes: at least this many IP bytes (bytes_total) */
};

/* TRUE when flow (borrowed) meets every condition of select; a NULL select
 * selects every flow. Counts every packet of the flow, also those beyond
 * --max-packets. */
gboolean fs_flow_selected(const struct fs_flow *flow, const struct fs_select *select);

#endif
