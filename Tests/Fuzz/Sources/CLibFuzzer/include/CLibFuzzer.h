#ifndef CLIBFUZZER_H
#define CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver (compiler-rt, FuzzerInterface.h), linked in by `-sanitize=fuzzer`. The fuzz targets call it
// from their own `main` because SwiftPM names an executable's entry point after its module and links `main` to
// that, so libFuzzer's own `main` is never used.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
