# Live capture with real packets in a network namespace (issue 12): events
# while running, SIGHUP rotation, stop accounting. Skips (77) when not root
# or without netns/tcpreplay; CI runs as root.
add_test(NAME e2e_live
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_live.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples)
set_tests_properties(e2e_live PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
                     LABELS threads)
# Several capture sockets (--threads 2, PACKET_FANOUT) and several -i in one
# process, with an interface lost and back while the other goes on.
# Labelled "threads": the ThreadSanitizer build runs it too.
add_test(NAME e2e_live_threads
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_live_threads.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples)
set_tests_properties(e2e_live_threads PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77
                     RUN_SERIAL TRUE LABELS threads)
