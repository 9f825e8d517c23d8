{
  "targets": [{
    "target_name": "tanglenas",
    "sources": ["src/bridge.cc", "src/ops.cc", "src/dist.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<!@(node torch-config.cjs include)"],
    "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-deprecated-declarations", "-Wno-unused-parameter"],
    "libraries": ["<!@(node torch-config.cjs libs)"],
    "defines": ["NAPI_EXPERIMENTAL", "<!@(node torch-config.cjs defines)"]
  }]
}
