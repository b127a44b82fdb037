# Installs the ember build in EMBER_BUILD_DIR into a temporary prefix, then configures, builds
# and runs the consumer project against that install. Run as:
#   cmake -DEMBER_BUILD_DIR=... -DCONSUMER_SOURCE_DIR=... -DWORK_DIR=... -DCXX_COMPILER=...
#         -DBUILD_TYPE=... [-DCXX_COMPILER_LAUNCHER=...] -P run_consumer_test.cmake
foreach(var EMBER_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer_test.cmake: ${var} is not set")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer test: ${what} failed (${rc})\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

run_step("install" ${CMAKE_COMMAND} --install ${EMBER_BUILD_DIR} --prefix ${prefix})
foreach(header ember/ember.h ember/core/tensor.h ember/ops/elementwise.h ember/ops/cpu/parallel.h)
  if(NOT EXISTS ${prefix}/include/${header})
    message(FATAL_ERROR "consumer test: ${header} was not installed")
  endif()
endforeach()

set(launcher)
if(CXX_COMPILER_LAUNCHER)
  set(launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_COMPILER_LAUNCHER})
endif()
run_step("configure" ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${build}
         -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} ${launcher}
         -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
run_step("build" ${CMAKE_COMMAND} --build ${build})
run_step("run" ${build}/ember_consumer)
message(STATUS "consumer printed: ${step_output}")
if(NOT step_output MATCHES "grad: tensor\\(\\[5\\., 7\\., 9\\.\\], dtype=float64\\)")
  message(FATAL_ERROR "consumer test: unexpected output: ${step_output}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
