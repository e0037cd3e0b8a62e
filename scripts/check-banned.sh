#!/usr/bin/env bash
# Fails when our C sources (botnet/, extractor/, fields/, fuzz/, tests/, window/) call a banned
# function (style guide, practice 16). Prints FILE:LINE: NAME and the line for
# each use and exits 1; exits 0 when there is none.
#
# Banned, with what to use instead:
#   strcpy strcat strncpy sprintf vsprintf   g_strlcpy, g_strlcat, g_snprintf,
#                                            g_strdup_printf, GString
#   gets                                     fgets
#   strtok                                   g_strsplit, strtok_r
#   atoi atol atoll                          g_ascii_strtoll, strtol with checks
#   strdup strndup                           g_strdup, g_strndup
#   isalpha isdigit isspace tolower ...      g_ascii_isalpha, g_ascii_tolower ...
#                                            (locale-independent, no UB on char)
#
# Only whole identifiers match (g_strdup, g_snprintf, g_ascii_tolower and a
# field named strdup_count do not), and not inside comments, string or
# character literals, or as a struct member (x.atoi, x->atoi).
set -euo pipefail
cd "$(dirname "$0")/.."

dirs=(botnet extractor fields fuzz tests window)
banned='strcpy|strcat|strncpy|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|strdup|strndup'
banned+='|isalnum|isalpha|isascii|isblank|iscntrl|isdigit|isgraph|islower|isprint|ispunct'
banned+='|isspace|isupper|isxdigit|tolower|toupper'

if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
        "${dirs[@]/%//*.c}" "${dirs[@]/%//*.h}" | sort -u)
else
    mapfile -t files < <(find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \) | sort)
fi
existing=()
for f in "${files[@]}"; do
    [ -f "$f" ] && existing+=("$f")
done
[ "${#existing[@]}" -ne 0 ] || { echo "check-banned: no C sources found" >&2; exit 2; }

# Perl (perl-base, in every Debian) reads each file whole, blanks comments and
# literals (keeping their newlines, so line numbers stay right), then reports
# each banned identifier with its line.
status=0
perl -e '
    my $banned = shift;
    my $hits = 0;
    for my $file (@ARGV) {
        open(my $fh, "<", $file) or die "$file: $!\n";
        local $/;
        my $text = <$fh>;
        close($fh);
        my @orig = split /\n/, $text, -1;
        my $blank = sub { (my $s = $_[0]) =~ s/[^\n]/ /g; $s };
        $text =~ s{
            ( /\*.*?\*/                      # block comment
            | //(?:[^\n\\]|\\.)*             # line comment (with continuations)
            | "(?:[^"\\\n]|\\.)*"            # string literal
            | \x27(?:[^\x27\\\n]|\\.)*\x27   # character literal
            )
        }{ my $m = $1; $m =~ m{^[/]} ? $blank->($m) : substr($m, 0, 1) . $blank->(substr($m, 1, -1)) . substr($m, -1) }gsex;
        my @lines = split /\n/, $text, -1;
        for my $i (0 .. $#lines) {
            while ($lines[$i] =~ /(?<![\w.])(?<!->)\b($banned)\b/g) {
                my $name = $1;
                (my $src = $orig[$i]) =~ s/^\s+//;
                print "$file:", $i + 1, ": $name: $src\n";
                $hits++;
            }
        }
    }
    exit($hits ? 1 : 0);
' "$banned" "${existing[@]}" || status=$?

if [ "$status" -eq 1 ]; then
    echo "check-banned: banned functions used (see the list in $0 for what to use)" >&2
    exit 1
elif [ "$status" -ne 0 ]; then
    echo "check-banned: the check itself failed (status $status)" >&2
    exit 2
fi
echo "check-banned: no banned function in ${#existing[@]} files (${dirs[*]})"
