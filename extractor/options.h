/* options.h: the command line of flowshark, parsed into one plain struct.
 * Options mirror tshark's where they exist there (-r -Y -e -o -d -2 -w). */
#ifndef FS_OPTIONS_H
#define FS_OPTIONS_H

#include <glib.h>

#include <stdio.h>

#include "flow_select.h"
#include "status.h"

/* Whether flows keep the text (len bytes) of a value of -e field number
 * `field` (0: the first -e field); fs_options.keep_value. */
typedef gboolean (*fs_value_keep_fn)(guint field, const char *text, gsize len, void *data);

/* How a packet's size is counted by --stats and --splt (--accounting-mode,
 * NFStream's accounting_mode). */
enum fs_accounting {
    FS_ACCOUNT_LINK = 0,  /* frame.len: the frame on the wire */
    FS_ACCOUNT_IP,        /* ip.len (IPv4), ipv6.plen (IPv6) */
    FS_ACCOUNT_TRANSPORT, /* the IP payload minus the fixed 20-byte TCP or 8-byte UDP header */
    FS_ACCOUNT_PAYLOAD,   /* tcp.len; UDP: udp.length - 8 */
};

/* Which end of a flow is its src (--direction). */
enum fs_direction {
    FS_DIRECTION_PORT = 0, /* the spec's rule: the end with the greater port */
    FS_DIRECTION_FIRST,    /* the sender of the flow's first packet (NFStream) */
};

/* Which sequence time_start/time_end are taken from (--main). */
enum fs_main_seq {
    FS_MAIN_PAYLOAD = 0, /* payload_timestamps (default, as flowcontainer) */
    FS_MAIN_IP,          /* ip_timestamps */
};

/* Progress lines on standard error while reading (--progress, -q). */
enum fs_progress_mode {
    FS_PROGRESS_AUTO =
            0, /* when standard error is a terminal and captures are read one at a time */
    FS_PROGRESS_ALWAYS,
    FS_PROGRESS_NEVER,
};

/* Everything the command line says. Plain struct: callers may read every
 * member. Strings and arrays are owned by the struct; fs_options_free()
 * releases them. */
struct fs_options {
    GPtrArray *inputs;       /* char *: captures or directories (-r, plain arguments); "-" stdin */
    GPtrArray *files_from;   /* char *: --files-from lists, "-" = standard input */
    char *root;              /* --root DIR: where directly named captures' tree starts, or NULL */
    char *label;             /* --label TEXT, or NULL */
    gboolean label_from_dir; /* --label-from-dir */
    char *output_dir;        /* --output-dir DIR: one output file per capture, or NULL */
    gboolean resume;         /* --resume: skip captures whose output file exists */
    char *note;              /* --note TEXT (runs table of -T sqlite), or NULL */
    char *command_line;      /* argv as given, shell-quoted (runs table) */
    char *display_filter;    /* -Y, or NULL */
    GPtrArray *fields;       /* char *: -e field names, in order, duplicates removed */
    GPtrArray *prefs;        /* char *: -o name:value, in order */
    GPtrArray *decode_as;    /* char *: -d layer==selector,protocol, in order */
    char *output_path;       /* -w, or NULL for standard output */
    gboolean two_pass;       /* -2 */
    enum fs_main_seq main_seq;      /* --main */
    gboolean keep_empty;            /* --keep-empty: keep flows without payload */
    gboolean udp_data_length;       /* --udp-data-length: UDP payload without header */
    gboolean default_exclusions;    /* FALSE with --no-exclusions */
    guint max_packets;              /* --max-packets N: first N packets per flow; 0 = all */
    gboolean in_process;            /* --no-fork: no worker process per capture */
    guint jobs;                     /* -j: workers at once; 0 = one per processor */
    enum fs_progress_mode progress; /* --progress, -q */
    guint reset_every; /* --reset-every N: bounded memory, new session every N records */
    char *format;      /* -T: an output format's name (sink.h), "jsonl" by default */
    enum fs_accounting accounting; /* --accounting-mode 0..3 */
    enum fs_direction direction;   /* --direction port|first */
    /* The flow meter (--idle-timeout, --active-timeout, --all-protocols,
     * --nfstream): 0 = no timeout. */
    guint idle_timeout;     /* seconds */
    guint active_timeout;   /* seconds */
    gboolean all_protocols; /* flows of every IP protocol, not only TCP and UDP */
    gboolean vlan_key;      /* the VLAN id is part of the flow key (--nfstream) */
    gboolean no_defragment; /* the first fragment counts, later ones are dropped (--nfstream) */
    gboolean nfstream;      /* --nfstream: NFStream's flows and keys */
    gboolean fast;          /* --fast (fastpath.h) */
    guint fast_limit;       /* --fast-limit N: packets of a flow dissected, default 20 */
    gboolean verify;        /* --verify: both modes compared, no records (verify.h) */
    /* Flow-level selection (flow_select.h): */
    char *flow_filter;       /* --flow-filter EXPR, or NULL: flows with a packet matching it */
    struct fs_select select; /* flow_filter given and not empty, --min-packets, --min-bytes */
    /* The feature modules' own options (feature.h), by their index in
     * fs_feature_option_at(): read them with fs_options_module_value(). */
    guint *module_values;
    gboolean *module_given;
    gboolean show_help;    /* -h, --help */
    gboolean show_version; /* -v, --version */
    gboolean show_schema;  /* --schema: print the records' JSON Schema */
    gboolean list_only;    /* --list: print the captures the inputs name, and exit */
    /* Live capture through dumpcap (live.h): one input instead of captures. */
    GPtrArray *interfaces;    /* char *: -i names, in order; empty: no live capture */
    char *capture_filter;     /* -f: a BPF capture filter for every interface, or NULL */
    guint packet_count;       /* -c N: dumpcap stops after N packets; 0 = no limit */
    GPtrArray *autostop;      /* char *: -a duration:S and packets:N, in order */
    gboolean list_interfaces; /* -D: print the interfaces dumpcap sees, and exit */
    /* Never set by the command line: flowshark window -r (window/) asks the
     * states module (feature_states.c) for each packet's TCP/UDP flow state. */
    gboolean packet_states;
    /* Never set by the command line: captures read in the order of their
     * first packet's time (flowshark window's horizon needs time order). */
    gboolean inputs_by_time;
    /* Never set by the command line: which -e values flows store
     * (struct fs_flow_options.keep_value; flowshark botnet); NULL: all. */
    fs_value_keep_fn keep_value;
    void *keep_value_data;
};

/* Parses argv into *opts (which it initialises). On failure returns
 * FS_ERR_USAGE and sets *errmsg to a message the caller frees with g_free();
 * *opts is then still safe to pass to fs_options_free(). Reentrant: resets
 * getopt's state itself. */
enum fs_status fs_options_parse(int argc, char **argv, struct fs_options *opts, char **errmsg);

/* Frees what *opts owns (not opts itself). Safe on a zeroed or freed struct. */
void fs_options_free(struct fs_options *opts);

/* argv (argc arguments) as a shell would read it back: every argument
 * quoted when needed, joined by spaces (the command_line of the runs
 * tables). Caller g_free()s. */
char *fs_options_quote_command_line(int argc, char **argv);

/* The value of a feature module's option --name: for a flag 1 when given
 * and 0 otherwise; for a number the value given, or the option's fallback.
 * 0 for a name no module declares. Safe on a zeroed struct. */
guint fs_options_module_value(const struct fs_options *opts, const char *name);

/* Writes the --help text to out. */
void fs_options_print_help(FILE *out);

#endif
