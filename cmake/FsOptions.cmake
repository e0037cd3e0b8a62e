# Every build flag of the project in one place: warnings, -Werror, sanitizers,
# the fuzzer (fuzz/CMakeLists.txt adds its flags when FS_FUZZ is ON).
# Targets link fs_build_flags to get them.

option(FS_WERROR "Turn warnings into errors (CI)" OFF)
set(FS_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")
option(FS_FUZZ "Build the libFuzzer target fuzz/fuzz_capture (clang only; see scripts/fuzz.sh)" OFF)

include(CheckCCompilerFlag)

add_library(fs_build_flags INTERFACE)
target_compile_options(fs_build_flags INTERFACE
    -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wold-style-definition -Wvla -Wpointer-arith -Wwrite-strings -Wundef
    -Wimplicit-fallthrough -Werror=implicit-function-declaration)

foreach(flag -Wlogical-op -Wduplicated-cond -Wcomma)
    string(MAKE_C_IDENTIFIER "HAVE${flag}" var)
    check_c_compiler_flag(${flag} ${var})
    if(${var})
        target_compile_options(fs_build_flags INTERFACE ${flag})
    endif()
endforeach()

if(FS_WERROR)
    target_compile_options(fs_build_flags INTERFACE -Werror)
endif()

if(FS_SANITIZE)
    set(fs_san_flags -fsanitize=${FS_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_compile_options(fs_build_flags INTERFACE ${fs_san_flags})
    target_link_options(fs_build_flags INTERFACE ${fs_san_flags})
endif()
