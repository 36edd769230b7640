// swift-tools-version:5.9
// The dollr SDK for Swift: the uniffi-generated sources (Sources/Dollr/Dollr.swift and
// DollrCore.swift, committed; regenerate with `make generate-swift`) plus a thin hand-written
// layer, over DollrFFI.xcframework (the static libdollr_ffi for each Apple platform with the
// generated C headers; built on macOS by ./build-xcframework.sh). `DollrTesting` is for tests of
// code that uses Dollr: TestSandbox over the `dollr` binary (`dollr sandbox`), not in the library.

import PackageDescription

let package = Package(
    name: "Dollr",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "Dollr", targets: ["Dollr"]),
        .library(name: "DollrTesting", targets: ["DollrTesting"]),
    ],
    targets: [
        .binaryTarget(name: "DollrFFI", path: "DollrFFI.xcframework"),
        .target(
            name: "Dollr",
            dependencies: ["DollrFFI"],
            path: "Sources/Dollr",
            linkerSettings: [.linkedFramework("SystemConfiguration"), .linkedFramework("Security")]
        ),
        .target(name: "DollrTesting", dependencies: ["Dollr"], path: "Sources/DollrTesting"),
        .testTarget(name: "DollrTests", dependencies: ["Dollr", "DollrTesting"], path: "Tests/DollrTests"),
    ]
)
