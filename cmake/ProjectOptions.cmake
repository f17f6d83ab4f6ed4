# project_options: warnings-as-errors and sanitizers for the project's own targets only.
add_library(project_options INTERFACE)
target_compile_options(project_options INTERFACE -Wall -Wextra -Werror)
target_include_directories(project_options INTERFACE ${PROJECT_SOURCE_DIR})
target_compile_definitions(project_options INTERFACE
  TENANT_VERSION="${PROJECT_VERSION}")

if(TENANT_SANITIZE)
  target_compile_options(project_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(project_options INTERFACE -fsanitize=address,undefined)
endif()

# tenant_add_library(name SOURCES_DIR dir [LIBS ...]): a static library of every .cpp
# under dir except main.cpp, so binaries and tests link the same code.
function(tenant_add_library name dir)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${dir}/*.cpp")
  list(FILTER sources EXCLUDE REGEX "/main\\.cpp$")
  if(sources)
    add_library(${name} STATIC ${sources})
    target_link_libraries(${name} PUBLIC project_options ${ARG_LIBS})
  else()  # an area with no code yet still gives its dependents a target to link
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE project_options ${ARG_LIBS})
  endif()
endfunction()
