# Fuzz targets (tests/fuzz/README.md). Each target is one .c file defining
# LLVMFuzzerTestOneInput(). With -DMW_FUZZ=ON (clang) they link libFuzzer;
# otherwise they link replay_main.c, and ctest replays every target's seed
# corpus and crash reproducers in this build (normal or MW_SANITIZE).
set(MW_FUZZ_TARGETS tls x509 quic dtls starttls decode ipfrag reasm capture summary rules)
set(MW_FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)

foreach(t ${MW_FUZZ_TARGETS})
  if(MW_FUZZ)
    add_executable(fuzz_${t} tests/fuzz/fuzz_${t}.c)
    target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
    # libFuzzer replays the files given: -runs=0 runs nothing new.
    add_test(NAME fuzz_replay_${t}
             COMMAND fuzz_${t} -runs=0 ${MW_FUZZ_DIR}/corpus/${t} ${MW_FUZZ_DIR}/regressions/${t})
  else()
    add_executable(fuzz_${t} tests/fuzz/fuzz_${t}.c tests/fuzz/replay_main.c)
    add_test(NAME fuzz_replay_${t}
             COMMAND fuzz_${t} ${MW_FUZZ_DIR}/corpus/${t} ${MW_FUZZ_DIR}/regressions/${t})
  endif()
  target_link_libraries(fuzz_${t} PRIVATE mwcore)
  target_include_directories(fuzz_${t} PRIVATE tests/fuzz)
  set_tests_properties(fuzz_replay_${t} PROPERTIES LABELS fuzz)
endforeach()
