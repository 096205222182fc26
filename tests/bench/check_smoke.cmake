# tests/bench/check_smoke.cmake — the ctest `bench_smoke`: runs `bench_relay --smoke --no-msmtp
# --no-nullmailer` (tiny counts, loopback only, no mount namespace) and fails unless it exits 0
# and prints every row of its table.
# It checks that the harness works, not the targets (an ASan build misses the memory ones).
#   cmake -DBENCH_RELAY=path/to/bench_relay -P check_smoke.cmake
if(NOT BENCH_RELAY)
  message(FATAL_ERROR "usage: cmake -DBENCH_RELAY=PATH -P check_smoke.cmake")
endif()
execute_process(COMMAND ${BENCH_RELAY} --smoke --no-msmtp --no-nullmailer
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 110)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench_relay --smoke exited ${rc}\n${err}")
endif()
foreach(row "| 1\\. " "| 2\\. " "| 3\\. " "| 4a\\. " "| 4b\\. " "| 5\\. " "| 6\\. " "| 7\\. "
            "| 8\\. " "| 9\\. " "| 10\\. " "| 11\\. " "| floor: spawn" "| floor: durable")
  string(REGEX MATCH "\n${row}[^\n]*\n" line "${out}")
  if(NOT line)
    message(FATAL_ERROR "bench_relay --smoke printed no row starting \"${row}\"")
  endif()
  if(line MATCHES "FAILED|no samples")
    message(FATAL_ERROR "bench_relay --smoke row failed: ${line}")
  endif()
endforeach()
