# Injection and evasion resistance (issue 18, docs/evasion.md): each
# injection class of tests/e2e/evasion_gen.py applied to the samples.
add_test(NAME e2e_evasion
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_evasion.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples)
set_tests_properties(e2e_evasion PROPERTIES TIMEOUT 600)

# Two plausible versions of the ClientHello: both judged, the worse decides.
add_test(NAME e2e_two_versions
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_two_versions.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples)
