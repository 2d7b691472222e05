// Shared mocha setup: a lab or corpus test may skip only when not root / without ../shared, and never under CI=true.
export {};
