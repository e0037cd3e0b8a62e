/* ndpi_label.h: nDPI application labels for flows, as NFStream obtains
 * them: the IP packets of a flow's first N packets go to nDPI 4.2 until it
 * has classified the flow and wants no more; a flow still unknown after N
 * packets, or at its end, gets nDPI's guess (ndpi_detection_giveup). The
 * only module that includes nDPI's headers. */
#ifndef FS_NDPI_LABEL_H
#define FS_NDPI_LABEL_H

#include <glib.h>

#include "dissect.h"
#include "sink.h"

/* An nDPI detection module with every protocol enabled. Opaque. */
typedef struct fs_ndpi fs_ndpi;

/* A detection module that looks at most max_packets packets of each flow.
 * NULL when nDPI cannot be initialised. Free with fs_ndpi_free(). */
fs_ndpi *fs_ndpi_new(guint max_packets);

/* Frees the module; NULL does nothing. */
void fs_ndpi_free(fs_ndpi *ndpi);

/* One flow's labelling: nDPI's flow state while it runs, then the labels.
 * Opaque. */
typedef struct fs_ndpi_flow fs_ndpi_flow;

/* A new flow, not yet seen by nDPI. Free with fs_ndpi_flow_free(). */
fs_ndpi_flow *fs_ndpi_flow_new(void);

/* Frees f; NULL does nothing. */
void fs_ndpi_flow_free(fs_ndpi_flow *f);

/* Hands the flow's next packet (its ip_bytes) to nDPI, unless the flow is
 * done. nDPI's flow state is freed as soon as the flow is classified and
 * nDPI wants no more packets, or max_packets packets were seen; packets
 * after that cost nothing. A packet without ip_bytes still counts. */
void fs_ndpi_flow_packet(fs_ndpi *ndpi, fs_ndpi_flow *f, const struct fs_packet *packet);

/* Ends the flow's labelling (a guess if it is still unknown) and frees
 * nDPI's flow state. Later calls do nothing. */
void fs_ndpi_flow_finish(fs_ndpi *ndpi, fs_ndpi_flow *f);

/* Appends the names of the keys fs_ndpi_flow_emit() writes, in order. */
void fs_ndpi_keys(GPtrArray *keys);

/* Writes the labels as keys of the current record ("" when absent).
 * Call fs_ndpi_flow_finish() first. */
void fs_ndpi_flow_emit(const fs_ndpi_flow *f, fs_sink *sink);

#endif
