/* standalone_main.c: a main() for fuzz_capture.c without libFuzzer, so any
 * compiler can build the target and replay inputs (saved crashes, the
 * corpus): standalone_fuzz_capture FILE... runs each file once, in order. */
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
            fprintf(stderr, "standalone_fuzz_capture: %s\n", error->message);
            g_error_free(error);
            return 1;
        }
        /* An exact-size copy, so that reading past the input is caught. */
        uint8_t *copy = g_memdup2(data, size);
        g_free(data);
        LLVMFuzzerTestOneInput(copy, size);
        g_free(copy);
    }
    return 0;
}
