'use strict';
// mulberry32: a small seeded generator of numbers in [0, 1), so that a property test's failure
// names a case that comes back every run (properties.test.js, result_shapes.test.js).
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

module.exports = { generator };
