# CTest driver for ember-bleu: scores small files it writes (one reference gzip-compressed), and
# checks the exit codes for files of different lengths (1), a missing file (1) and bad usage (2).
#   cmake -DBLEU=<ember-bleu> -DWORK_DIR=<dir> -P test_bleu.cmake
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/gz)
file(WRITE ${WORK_DIR}/gz/ref.txt "the cat sat on the mat today\nEin Hund läuft, schnell.\n")
file(ARCHIVE_CREATE OUTPUT ${WORK_DIR}/ref.txt.gz PATHS ${WORK_DIR}/gz/ref.txt FORMAT raw
     COMPRESSION GZip)
file(WRITE ${WORK_DIR}/hyp.txt "the cat sat on the mat\r\nEin Hund läuft, schnell.\n")
file(WRITE ${WORK_DIR}/short.txt "the cat sat on the mat\n")

function(run_bleu expected_rc)
  execute_process(COMMAND ${BLEU} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expected_rc)
    message(FATAL_ERROR "ember-bleu ${ARGN}: expected exit ${expected_rc}, got ${rc}:\n${out}${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

# 12 hypothesis tokens against 13 reference tokens: every n-gram matches, BP = exp(1 - 13/12).
run_bleu(0 ${WORK_DIR}/ref.txt.gz ${WORK_DIR}/hyp.txt)
set(expected "BLEU = 92.00 100.0/100.0/100.0/100.0 (BP = 0.920 ratio = 0.923 hyp_len = 12 ref_len = 13)\nnrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x\n")
if(NOT out STREQUAL expected)
  message(FATAL_ERROR "ember-bleu printed:\n${out}\nexpected:\n${expected}")
endif()

run_bleu(1 ${WORK_DIR}/ref.txt.gz ${WORK_DIR}/short.txt)
if(NOT err MATCHES "short.txt' has 1 lines but '.*ref.txt.gz' has 2")
  message(FATAL_ERROR "ember-bleu on files of different lengths:\n${err}")
endif()
run_bleu(1 ${WORK_DIR}/missing.txt ${WORK_DIR}/hyp.txt)
if(NOT err MATCHES "cannot open '.*missing.txt'")
  message(FATAL_ERROR "ember-bleu on a missing file:\n${err}")
endif()
run_bleu(2 ${WORK_DIR}/ref.txt.gz)
if(NOT err MATCHES "usage: ember-bleu REF_FILE HYP_FILE")
  message(FATAL_ERROR "ember-bleu with one file: expected usage, got:\n${err}")
endif()
run_bleu(2 ${WORK_DIR}/ref.txt.gz ${WORK_DIR}/hyp.txt --smooth nonsense)
