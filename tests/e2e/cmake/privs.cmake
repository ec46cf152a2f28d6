# -Z, the capabilities kept while capturing, sd_notify, --config and the
# systemd unit (issue 12, "Privileges and configuration"). The live part
# needs root (network namespace, veth): without it ctest shows "skipped".
add_test(NAME e2e_privs
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_privs.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples ${CMAKE_BINARY_DIR})
set_tests_properties(e2e_privs PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                     RUN_SERIAL ON)
