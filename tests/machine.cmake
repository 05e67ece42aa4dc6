# test_machine: the machine core on small guests assembled with nasm.
find_program(TDPSIM_NASM nasm)
if(TDPSIM_NASM)
  set(_mg_dir ${CMAKE_CURRENT_BINARY_DIR}/machine_guests)
  set(_mg_bins)
  foreach(_g machine64 triple32 halt32 memmap32)
    add_custom_command(
      OUTPUT ${_mg_dir}/${_g}.bin
      COMMAND ${CMAKE_COMMAND} -E make_directory ${_mg_dir}
      COMMAND ${TDPSIM_NASM} -f bin -o ${_mg_dir}/${_g}.bin
              ${CMAKE_CURRENT_SOURCE_DIR}/guests/${_g}.asm
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/guests/${_g}.asm)
    list(APPEND _mg_bins ${_mg_dir}/${_g}.bin)
  endforeach()
  add_custom_target(machine_guests DEPENDS ${_mg_bins})
  tdpsim_test(test_machine SOURCES test_machine.c TIMEOUT 120)
  add_dependencies(test_machine machine_guests tdpsim)
  target_compile_definitions(test_machine PRIVATE MACHINE_GUESTS="${_mg_dir}")
endif()
if(TDPSIM_NASM)
  # The guest-physical memory map: RAM holes, ROM, MMIO, unassigned space.
  tdpsim_test(test_memmap SOURCES test_memmap.c)
  add_dependencies(test_memmap machine_guests)
  target_compile_definitions(test_memmap PRIVATE MACHINE_GUESTS="${_mg_dir}")
endif()
