# --threads N changes nothing but speed (docs/architecture.md, "Threads"):
# every output of 1, 2 and 4 workers compared, and the golden session lists
# for each thread count. Labelled "threads": the ThreadSanitizer build of
# tools/run-tests.sh runs these.
add_test(NAME e2e_threads
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_threads.py
          $<TARGET_FILE:mitmwatch> ${MW_SHARED_DIR}/corpus/ndpi/pcap ${CMAKE_SOURCE_DIR}/samples)
set(MW_THREAD_TESTS e2e_threads)
foreach(n 1 2 4)
  add_test(NAME e2e_golden_corpus_t${n}
    COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_golden.py
            $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/tests/data/golden/corpus.tsv
            --threads ${n} -- ${MW_SHARED_DIR}/corpus/ndpi/pcap)
  add_test(NAME e2e_golden_samples_t${n}
    COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_golden.py
            $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/tests/data/golden/samples.tsv
            --threads ${n} -- ${CMAKE_SOURCE_DIR}/samples)
  list(APPEND MW_THREAD_TESTS e2e_golden_corpus_t${n} e2e_golden_samples_t${n})
endforeach()
# The benchmark capture, oversubscribed (the plain e2e_golden_bench runs
# with the default, one worker per core).
add_test(NAME e2e_golden_bench_t4
  COMMAND ${CMAKE_SOURCE_DIR}/tests/e2e/golden_bench.sh
          $<TARGET_FILE:mitmwatch> ${MW_SHARED_DIR}/corpus/ndpi/pcap --threads 4)
list(APPEND MW_THREAD_TESTS e2e_golden_bench_t4)
set_tests_properties(${MW_THREAD_TESTS} PROPERTIES TIMEOUT 900 LABELS threads)
