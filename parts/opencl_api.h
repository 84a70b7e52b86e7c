/* (OpenCL API: being written) */
