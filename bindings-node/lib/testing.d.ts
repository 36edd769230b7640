// Typings of `dollr-native/testing`: the same module as the package dollr-native-testing.
export * from 'dollr-native-testing';
export { default } from 'dollr-native-testing';
