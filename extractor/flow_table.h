/* flow_table.h: the flows of one capture, keyed by (protocol, stream). */
#ifndef FS_FLOW_TABLE_H
#define FS_FLOW_TABLE_H

#include <glib.h>

#include "flow.h"

typedef struct fs_flow_table fs_flow_table;

/* A new empty table for flows with ext_count extension fields. The caller
 * frees it with fs_flow_table_free(). options is copied. */
fs_flow_table *fs_flow_table_new(guint ext_count, const struct fs_flow_options *options);

/* Frees the table and every flow in it; NULL does nothing. */
void fs_flow_table_free(fs_flow_table *table);

/* Adds a packet to the flow of its (transport, stream), creating the flow
 * (direction from this packet) when it is the first. Returns the flow,
 * owned by the table. */
struct fs_flow *fs_flow_table_add_packet(fs_flow_table *table, const struct fs_packet *packet);

/* Number of extension fields of its flows. */
guint fs_flow_table_ext_count(const fs_flow_table *table);

/* Number of flows. */
guint fs_flow_table_size(const fs_flow_table *table);

/* Ends every flow (fs_flow_finish()): call once reading is over, before
 * writing the records. */
void fs_flow_table_finish(fs_flow_table *table);

/* Calls cb for every flow: TCP flows by stream, then UDP flows by stream.
 * The flows stay owned by the table. */
void fs_flow_table_foreach(const fs_flow_table *table,
        void (*cb)(const struct fs_flow *flow, void *user_data), void *user_data);

#endif
