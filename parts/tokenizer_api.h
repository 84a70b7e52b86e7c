/* (tokenizer API: being written) */
