/* (tokenizer implementation: being written) */
