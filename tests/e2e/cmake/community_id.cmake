# community_id equals Wireshark's (issue 12).
add_test(NAME e2e_community_id
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_community_id.py
          $<TARGET_FILE:mitmwatch> ${TSHARK} ${CMAKE_SOURCE_DIR}/samples
          ${MW_SHARED_DIR}/corpus/ndpi/pcap)
set_tests_properties(e2e_community_id PROPERTIES TIMEOUT 600)
