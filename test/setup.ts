// Loaded by .mocharc.json before every test file.
export {};
