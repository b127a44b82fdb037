# CTest driver for ember-inspect: a valid file lists its tensors (exit 0); a truncated copy of it is
# refused with a message (exit 1), never a crash.
#   cmake -DINSPECT=<ember-inspect> -DFIXTURE=<reference.safetensors> -DWORK_DIR=<dir> -P test_inspect.cmake
execute_process(COMMAND ${INSPECT} ${FIXTURE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ember-inspect on a valid file exited ${rc}:\n${out}${err}")
endif()
foreach(expected "weight +F32 +\\[2,3\\] +24" "half +F16 +\\[5\\] +10" "scalar +F32 +\\[\\] +4"
                 "format = pt" "total: 12 tensors")
  if(NOT out MATCHES "${expected}")
    message(FATAL_ERROR "ember-inspect output lacks /${expected}/:\n${out}")
  endif()
endforeach()

file(MAKE_DIRECTORY ${WORK_DIR})
set(truncated ${WORK_DIR}/truncated.safetensors)
execute_process(COMMAND head -c 900 ${FIXTURE} OUTPUT_FILE ${truncated} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "could not make a truncated copy of ${FIXTURE}")
endif()
execute_process(COMMAND ${INSPECT} ${truncated} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "truncated\\.safetensors: .*end beyond the data section")
  message(FATAL_ERROR "ember-inspect on a truncated file: expected exit 1 and a message, got ${rc}:\n${out}${err}")
endif()

execute_process(COMMAND ${INSPECT} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "usage: ember-inspect FILE")
  message(FATAL_ERROR "ember-inspect without arguments: expected exit 2 and usage, got ${rc}:\n${err}")
endif()
