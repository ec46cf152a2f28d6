# --csv and merge --csv: a row per session, equal to the JSON events.
add_test(NAME e2e_csv
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_csv.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples
          ${MW_SHARED_DIR}/corpus/ndpi/pcap)
set_tests_properties(e2e_csv PROPERTIES TIMEOUT 600)
