# Every record written validates against docs/schema/ (issue 16).
add_test(NAME e2e_schema
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_schema.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/docs/schema
          ${CMAKE_SOURCE_DIR}/samples ${MW_SHARED_DIR}/corpus/ndpi/pcap)
set_tests_properties(e2e_schema PROPERTIES TIMEOUT 900)
