# The installed tree works without the source tree (issue 16): installed,
# moved, its rules found beside the binary, the samples judged as on record.
add_test(NAME e2e_install
  COMMAND ${CMAKE_SOURCE_DIR}/tests/e2e/test_install.sh ${CMAKE_BINARY_DIR}
          ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_install PROPERTIES TIMEOUT 300)
