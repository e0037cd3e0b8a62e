/* dbscan.h: DBSCAN (Ester, Kriegel, Sander, Xu, KDD 1996) over points in
 * R^dim with the Euclidean distance, visiting the points in the order they
 * are given, so that the result is deterministic: flowshark cflows
 * (doc/botnet.md) hands it the C-flows' 52-dimensional vectors in key
 * order (../shared/spec/botcapturer.md §4.3 step 6).
 *
 * No library flowshark links (GLib, libwireshark, igraph) has DBSCAN, hence
 * this small one. Its neighbour search is brute force, O(n^2 dim) time and
 * O(n) memory besides the points: each point's neighbourhood is computed
 * once, when the point is first reached, and a distance is left as soon as
 * its partial sum of squares is past eps^2. Measured at -O2 on random
 * sparse 52-dimensional points (2 shared cores): 10 000 points in about
 * 2 s, 20 000 in about 8 s, growing with the square; doc/botnet.md
 * gives the limit. */
#ifndef FS_DBSCAN_H
#define FS_DBSCAN_H

#include <glib.h>

/* Label of a point that belongs to no cluster. */
#define FS_DBSCAN_NOISE (-1)

/* Clusters n points (points: n * dim doubles, row after row; borrowed).
 * Two points are neighbours when their distance is at most eps; a point is
 * a core point when it has at least min_pts neighbours, itself included.
 * Points are visited in index order: the first core point not yet in a
 * cluster starts the next cluster (numbered 0, 1... in that order), which
 * takes in every point density-reachable from it that no earlier cluster
 * took. A border point within eps of core points of two clusters therefore
 * belongs to the one discovered first. This is the order scikit-learn's
 * DBSCAN follows as well.
 *
 * labels: n ints (caller's) receive each point's cluster or
 * FS_DBSCAN_NOISE. Returns the number of clusters. */
guint fs_dbscan(const double *points, gsize n, gsize dim, double eps, guint min_pts, gint *labels);

/* The Euclidean distance of two points of dim coordinates: the squares of
 * the differences summed in coordinate order, then the square root (the
 * exact order, so that a test can reproduce a distance bit for bit). */
double fs_dbscan_distance(const double *a, const double *b, gsize dim);

#endif
