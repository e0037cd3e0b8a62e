/* standalone_main.c: a main() for fuzz_capture.c without libFuzzer, so any
 * compiler can build the target and replay inputs (saved crashes, the
 * corpus): standalone_fuzz_capture FILE... runs each file once, in order,
 * naming each on standard output first (the harness silences standard
 * error's C stream), so that a failure shows which input caused it. The
 * ctest fuzz_replay (tests/CMakeLists.txt) runs it. */
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        char *data = NULL;
        gsize size = 0;
        GError *error = NULL;
        if (!g_file_get_contents(argv[i], &data, &size, &error)) {
            printf("%s: %s\n", argv[0], error->message); /* stderr is silenced */
            g_error_free(error);
            return 1;
        }
        printf("replaying %s (%zu bytes)\n", argv[i], (size_t)size);
        fflush(stdout);
        /* An exact-size copy, so that reading past the input is caught. */
        uint8_t *copy = g_memdup2(data, size);
        g_free(data);
        LLVMFuzzerTestOneInput(copy, size);
        g_free(copy);
    }
    printf("replayed %d inputs\n", argc - 1);
    return 0;
}
