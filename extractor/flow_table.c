/* flow_table.c: flows indexed by stream number. Wireshark numbers streams
 * 0, 1, 2... in order of appearance, so an array per transport indexed by
 * the stream is both the hash table and the sorted order. */
#include "flow_table.h"

struct fs_flow_table {
    GPtrArray *by_stream[2]; /* per enum fs_transport: struct fs_flow * or NULL */
    guint ext_count;
    guint size;
    struct fs_flow_options options;
};

fs_flow_table *fs_flow_table_new(guint ext_count, const struct fs_flow_options *options)
{
    fs_flow_table *table = g_new0(fs_flow_table, 1);
    for (int i = 0; i < 2; i++)
        table->by_stream[i] = g_ptr_array_new();
    table->ext_count = ext_count;
    table->options = *options;
    return table;
}

void fs_flow_table_free(fs_flow_table *table)
{
    if (!table)
        return;
    for (int i = 0; i < 2; i++) {
        GPtrArray *flows = table->by_stream[i];
        for (guint s = 0; s < flows->len; s++)
            fs_flow_free(g_ptr_array_index(flows, s), &table->options);
        g_ptr_array_free(flows, TRUE);
    }
    g_free(table);
}

struct fs_flow *fs_flow_table_add_packet(fs_flow_table *table, const struct fs_packet *packet)
{
    GPtrArray *flows = table->by_stream[packet->transport == FS_TRANSPORT_TCP ? 0 : 1];
    if (packet->stream >= flows->len)
        g_ptr_array_set_size(flows, (gint)packet->stream + 1);
    struct fs_flow *flow = g_ptr_array_index(flows, packet->stream);
    if (!flow) {
        flow = fs_flow_new_with(packet, table->ext_count, &table->options);
        g_ptr_array_index(flows, packet->stream) = flow;
        table->size++;
    }
    fs_flow_add_packet(flow, packet, &table->options);
    return flow;
}

guint fs_flow_table_ext_count(const fs_flow_table *table)
{
    return table->ext_count;
}

guint fs_flow_table_size(const fs_flow_table *table)
{
    return table->size;
}

void fs_flow_table_finish(fs_flow_table *table)
{
    for (int i = 0; i < 2; i++) {
        GPtrArray *flows = table->by_stream[i];
        for (guint s = 0; s < flows->len; s++) {
            struct fs_flow *flow = g_ptr_array_index(flows, s);
            if (flow)
                fs_flow_finish(flow, &table->options);
        }
    }
}

void fs_flow_table_foreach(const fs_flow_table *table,
        void (*cb)(const struct fs_flow *flow, void *user_data), void *user_data)
{
    for (int i = 0; i < 2; i++) {
        const GPtrArray *flows = table->by_stream[i];
        for (guint s = 0; s < flows->len; s++) {
            const struct fs_flow *flow = g_ptr_array_index(flows, s);
            if (flow)
                cb(flow, user_data);
        }
    }
}
