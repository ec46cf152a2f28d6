# History evidence (CLONED_CERT, CHAIN_CHANGED, VERSION_DOWNGRADE) against
# the generator's ground truth, and the --state store shared across runs.
add_test(NAME e2e_state
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_state.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples)
set_tests_properties(e2e_state PROPERTIES TIMEOUT 600)
