/* flow_table.h: the flows of one capture, keyed by (protocol, stream) (and
 * the VLAN id with options->vlan_key), and the meter that ends them on the
 * idle and active timeouts of the options. */
#ifndef FS_FLOW_TABLE_H
#define FS_FLOW_TABLE_H

#include <glib.h>

#include "flow.h"

typedef struct fs_flow_table fs_flow_table;

typedef void (*fs_flow_cb)(const struct fs_flow *flow, void *user_data);

/* A new empty table for flows with ext_count extension fields. The caller
 * frees it with fs_flow_table_free(). options is copied. */
fs_flow_table *fs_flow_table_new(guint ext_count, const struct fs_flow_options *options);

/* Hands each flow that a timeout ends to cb (finished: fs_flow_finish()),
 * then frees it: records are written as flows end. Without a callback the
 * ended flows stay in the table (fs_flow_table_foreach()). */
void fs_flow_table_set_expired_cb(fs_flow_table *table, fs_flow_cb cb, void *user_data);

/* Frees the table and every flow in it; NULL does nothing. */
void fs_flow_table_free(fs_flow_table *table);

/* Adds a packet to the flow of its key, creating the flow (direction from
 * this packet) when it is the first. With timeouts, first ends the key's
 * flow when the packet comes the idle timeout after its latest packet or
 * the active timeout after its first (the packet then begins a new flow,
 * as in NFStream), and every flow idle for the idle timeout at the
 * packet's time. Returns the flow, owned by the table. */
struct fs_flow *fs_flow_table_add_packet(fs_flow_table *table, const struct fs_packet *packet);

/* Number of extension fields of its flows. */
guint fs_flow_table_ext_count(const fs_flow_table *table);

/* Number of flows made so far. */
guint fs_flow_table_size(const fs_flow_table *table);

/* Ends every flow still open (fs_flow_finish(), expiration_id 0), in the
 * order fs_flow_table_foreach() visits them, and keeps that order for it
 * (until another packet is added): call once reading is over, before
 * writing the records. */
void fs_flow_table_finish(fs_flow_table *table);

/* Calls cb for every flow the table holds:
 * the flows a timeout ended (when no callback took them), in the order they
 * ended, then the flows open at the end: TCP flows by stream, UDP flows by
 * stream, other protocols by number and stream (a stream's pieces of other
 * VLANs in order of appearance). The flows stay owned by the table. */
void fs_flow_table_foreach(const fs_flow_table *table, fs_flow_cb cb, void *user_data);

#endif
