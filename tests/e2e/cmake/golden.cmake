# Nothing lost (issue 11): the sessions found on the corpus, the samples and
# the benchmark capture (addresses, ports, SNI, chain hashes, verdicts and
# reason codes) equal the lists on record in tests/data/golden/.
add_test(NAME e2e_golden_corpus
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_golden.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/tests/data/golden/corpus.tsv
          -- ${MW_SHARED_DIR}/corpus/ndpi/pcap)
add_test(NAME e2e_golden_samples
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_golden.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/tests/data/golden/samples.tsv
          -- ${CMAKE_SOURCE_DIR}/samples)
add_test(NAME e2e_golden_bench
  COMMAND ${CMAKE_SOURCE_DIR}/tests/e2e/golden_bench.sh
          $<TARGET_FILE:mitmwatch> ${MW_SHARED_DIR}/corpus/ndpi/pcap)
set_tests_properties(e2e_golden_corpus e2e_golden_samples e2e_golden_bench
  PROPERTIES TIMEOUT 600)
