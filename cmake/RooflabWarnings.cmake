# Warning and sanitizer flags shared by every rooflab target.
add_library(rooflab_warnings INTERFACE)
target_compile_options(rooflab_warnings INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${ROOFLAB_WERROR}>>:-Werror>
    # GCC 12 reports false -Wrestrict overlaps inside std::string concatenation at -O2 (GCC bug 105329).
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>>:-Wno-restrict>)

add_library(rooflab_sanitizers INTERFACE)
if(ROOFLAB_SANITIZE)
    target_compile_options(rooflab_sanitizers INTERFACE
        $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined>)
    target_link_options(rooflab_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

# rooflab_target_defaults(<target>): warnings + sanitizers for our own code.
function(rooflab_target_defaults target)
    target_link_libraries(${target} PRIVATE rooflab_warnings rooflab_sanitizers)
endfunction()
