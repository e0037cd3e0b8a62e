/* dbscan.c: see dbscan.h. The classic formulation: a point's neighbourhood
 * is found by comparing it with every point; a cluster grows from its first
 * core point through a queue of points to visit, each point queued at most
 * once per cluster. */
#include <math.h>

#include "dbscan.h"

/* Labels while clustering: not yet reached, or noise so far (a later
 * cluster may still take the point in as a border point). */
#define UNSEEN (-2)

double fs_dbscan_distance(const double *a, const double *b, gsize dim)
{
    double sum = 0;
    for (gsize k = 0; k < dim; k++) {
        double d = a[k] - b[k];
        sum += d * d;
    }
    return sqrt(sum);
}

/* Whether a and b are within eps: fs_dbscan_distance(a, b) <= eps, its
 * sum of squares left as soon as it passes bound. Partial sums of squares
 * never decrease, and bound lies a relative 1e-9 above eps^2, far beyond
 * the rounding of the square root: a sum past it has a root above eps, so
 * leaving early changes no answer. */
static gboolean within(const double *a, const double *b, gsize dim, double eps, double bound)
{
    double sum = 0;
    for (gsize k = 0; k < dim; k++) {
        double d = a[k] - b[k];
        sum += d * d;
        if (sum > bound)
            return FALSE;
    }
    return sqrt(sum) <= eps;
}

/* The indices of the points within eps of point i (i included) into
 * out (emptied first). */
static void neighbours(const double *points, gsize n, gsize dim, double eps, gsize i, GArray *out)
{
    double bound = eps * eps * (1 + 1e-9);
    g_array_set_size(out, 0);
    for (gsize j = 0; j < n; j++) {
        if (within(points + i * dim, points + j * dim, dim, eps, bound))
            g_array_append_val(out, j);
    }
}

guint fs_dbscan(const double *points, gsize n, gsize dim, double eps, guint min_pts, gint *labels)
{
    GArray *near = g_array_new(FALSE, FALSE, sizeof(gsize));
    GArray *queue = g_array_new(FALSE, FALSE, sizeof(gsize));
    /* queued[j]: the cluster whose queue j entered last, or -1. */
    gint *queued = g_new(gint, n);
    for (gsize i = 0; i < n; i++) {
        labels[i] = UNSEEN;
        queued[i] = -1;
    }
    guint clusters = 0;
    for (gsize i = 0; i < n; i++) {
        if (labels[i] != UNSEEN)
            continue;
        neighbours(points, n, dim, eps, i, near);
        if (near->len < min_pts) {
            labels[i] = FS_DBSCAN_NOISE;
            continue;
        }
        gint c = (gint)clusters++;
        labels[i] = c;
        queued[i] = c;
        g_array_set_size(queue, 0);
        for (guint k = 0; k < near->len; k++) {
            gsize j = g_array_index(near, gsize, k);
            if (queued[j] != c && (labels[j] == UNSEEN || labels[j] == FS_DBSCAN_NOISE)) {
                queued[j] = c;
                g_array_append_val(queue, j);
            }
        }
        for (guint q = 0; q < queue->len; q++) {
            gsize j = g_array_index(queue, gsize, q);
            gboolean unseen = labels[j] == UNSEEN;
            labels[j] = c;
            /* A point already found to be noise is not a core point: it
             * joins as a border point and is not expanded. */
            if (!unseen)
                continue;
            neighbours(points, n, dim, eps, j, near);
            if (near->len < min_pts)
                continue;
            for (guint k = 0; k < near->len; k++) {
                gsize m = g_array_index(near, gsize, k);
                if (queued[m] != c && (labels[m] == UNSEEN || labels[m] == FS_DBSCAN_NOISE)) {
                    queued[m] = c;
                    g_array_append_val(queue, m);
                }
            }
        }
    }
    g_free(queued);
    g_array_free(queue, TRUE);
    g_array_free(near, TRUE);
    return clusters;
}
