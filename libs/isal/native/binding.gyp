{
  "targets": [
    {
      "target_name": "platter_isal",
      "sources": ["platter_isal.c"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra"],
      "libraries": ["-lisal"]
    }
  ]
}
