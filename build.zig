//! The Zig side of migz: the `migz` runtime module, its tests, and `addDefs`, the
//! helper that turns a `.defs` file into a Zig module with `migz gen --zig`.
//!
//! | step        | what it does                                                          |
//! |-------------|-----------------------------------------------------------------------|
//! | `build`     | (default) builds the Rust static library and every Zig test binary    |
//! | `test`      | runs all Zig tests; the output ends with `N passed, M failed`         |
//! | `test:unit` | runs the runtime's unit tests (`zig/src`), with the same last line    |
//! | `check`     | compiles everything without emitting, including the `mach` transport  |
//! |             | for aarch64-macos.11.0 and x86_64-macos.11.0                          |
//! | `fmt`       | `zig fmt --check` of `build.zig`, `zig/`, `examples/`, `tests/zig-*/`  |
//! | `demo`      | runs the array_test demo: Zig and Rust clients and servers talk       |
//! | `lto-check` | with `-Dcross-lto`: proves the Zig exports inline into the demo's Rust |
//!
//! Options: `-Dtarget` and `-Doptimize`; `-Dcross-lto` builds the demo with cross-language
//! ThinLTO (its Rust half with `-Clinker-plugin-lto`, its Zig half as bitcode, both
//! optimised together at link time; see `crossLtoDemo`). The transport is `mach` on Darwin
//! targets and `local` elsewhere (a root file can declare `pub const migz_transport =
//! "local";`).
//! The `local` transport links `libmigz_ffi.a`, which `cargo build --release -p migz-ffi`
//! builds, or for binaries with Rust code in them the umbrella `libmigz_zig_host.a`
//! (`tests/zig-host`); the step runs cargo every time and cargo decides what is stale.
//! Cargo writes into `target/` of this checkout when it is the root build, and under
//! Zig's global cache (`migz-cargo/<package hash>`) when migz is a dependency, so a
//! fetched package is never written to. Darwin targets link nothing from Rust.
//!
//! A Zig user who wants no Rust toolchain passes the two Rust outputs prebuilt:
//! `-Dmigz-exe=PATH` (the `migz` generator that `addDefs` runs) and `-Dmigz-ffi-lib=PATH`
//! (`libmigz_ffi.a` for the local transport), or the same through `b.dependency("migz",
//! .{ .@"migz-exe" = ..., .@"migz-ffi-lib" = ... })`; then cargo never runs.

const std = @import("std");
const LazyPath = std.Build.LazyPath;

/// The targets `check` compiles the `mach` transport for.
const mach_check_targets = [_][]const u8{ "aarch64-macos.11.0", "x86_64-macos.11.0" };

/// Declares the steps of the table above.
pub fn build(b: *std.Build) void {
    const steps = .{
        .build = b.step("build", "Build the Rust static library and every Zig test binary"),
        .@"test" = b.step("test", "Run all Zig tests; the output ends with `N passed, M failed`"),
        .test_unit = b.step("test:unit", "Run the runtime's unit tests"),
        .check = b.step("check", "Compile everything without emitting, the mach transport included"),
        .fmt = b.step("fmt", "Check the formatting of build.zig and zig/"),
        .demo = b.step("demo", "Run the array_test demo: Zig and Rust clients and servers"),
    };
    b.default_step = steps.build;

    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    // The Rust outputs, prebuilt: `addDefs` finds the generator by this name on the
    // builder that owns the runtime module.
    if (b.option(LazyPath, "migz-exe", "A prebuilt `migz` binary for addDefs (no cargo)")) |exe| {
        b.addNamedLazyPath("migz-exe", exe);
    }
    const ffi_lib = b.option(LazyPath, "migz-ffi-lib", "A prebuilt libmigz_ffi.a for the local transport (no cargo)");
    const migz = addRuntime(b, .{
        .name = "migz",
        .target = target,
        .optimize = optimize,
        .prebuilt = ffi_lib,
    });

    // Every Zig test binary runs under `test_summary`, which prints the last line.
    const test_runner: std.Build.Step.Compile.TestRunner = .{
        .path = b.path("zig/build/test_runner.zig"),
        .mode = .simple,
    };
    const summary = b.addExecutable(.{
        .name = "test_summary",
        .root_module = b.createModule(.{
            .root_source_file = b.path("zig/build/test_summary.zig"),
            .target = b.graph.host,
            .optimize = .debug,
        }),
    });

    const unit_tests = b.addTest(.{
        .name = "migz-unit",
        .root_module = migz,
        .test_runner = test_runner,
    });
    const tool_tests = b.addTest(.{
        .name = "test-summary",
        .root_module = summary.root_module,
        .test_runner = test_runner,
    });
    // Zig client against Zig server over the local transport, for both examples, with
    // stubs generated from their `.defs` at build time.
    const e2e_tests = [_]*std.Build.Step.Compile{
        addExampleTest(b, migz, test_runner, "array_test", target, optimize),
        addExampleTest(b, migz, test_runner, "ports_ool", target, optimize),
        addE2eTest(b, migz, test_runner, "both_ways", b.path("zig/tests/defs/both_ways.defs"), target, optimize),
    };

    // `check`: compile the runtime without emitting, for this target and for macOS.
    steps.check.dependOn(&b.addTest(.{ .name = "check-host", .root_module = migz }).step);
    steps.check.dependOn(&summary.step);
    for (mach_check_targets) |triple| {
        const query = std.Target.Query.parse(.{ .arch_os_abi = triple }) catch unreachable; // The table holds valid triples.
        const module = addRuntime(b, .{
            .name = null,
            .target = b.resolveTargetQuery(query),
            .optimize = optimize,
        });
        steps.check.dependOn(&b.addTest(.{ .name = b.fmt("check-{s}", .{triple}), .root_module = module }).step);
    }

    // The array_test example's Zig half, with the umbrella Rust library on the local
    // transport: the cross-language matrix test and the demo.
    const host = addRuntime(b, .{
        .name = null,
        .target = target,
        .optimize = optimize,
        .rust_package = "migz-zig-host",
    });
    const host_stubs = addDefs(b, .{
        .defs = b.path("examples/defs/array_test.defs"),
        .subsystem = "array_test",
        .migz_module = host,
    });
    const ports_ool_stubs = addDefs(b, .{
        .defs = b.path("examples/defs/ports_ool.defs"),
        .subsystem = "ports_ool",
        .migz_module = host,
    });
    const adder_stubs = addDefs(b, .{
        .defs = b.path("examples/bootstrap/defs/adder.defs"),
        .subsystem = "adder",
        .migz_module = host,
    });
    const ool_arrays_stubs = addDefs(b, .{
        .defs = b.path("tests/conformance/ool_arrays.defs"),
        .subsystem = "ool_arrays",
        .migz_module = host,
    });
    // The umbrella's generated Rust calls the Zig exports of every example's stubs: each
    // binary linking it imports them all through this module.
    const host_exports = b.createModule(.{
        .root_source_file = b.path("tests/zig-host/exports.zig"),
        .imports = &.{
            .{ .name = "array_test", .module = host_stubs },
            .{ .name = "ports_ool", .module = ports_ool_stubs },
            .{ .name = "adder", .module = adder_stubs },
            .{ .name = "ool_arrays", .module = ool_arrays_stubs },
        },
    });
    const array_test_service = b.createModule(.{
        .root_source_file = b.path("examples/array_test/zig/service.zig"),
        .imports = &.{
            .{ .name = "migz", .module = host },
            .{ .name = "array_test", .module = host_stubs },
        },
    });
    const example_imports: []const std.Build.Module.Import = &.{
        .{ .name = "migz", .module = host },
        .{ .name = "array_test", .module = host_stubs },
        .{ .name = "service", .module = array_test_service },
        .{ .name = "zig_host", .module = host_exports },
    };
    const matrix = b.addTest(.{
        .name = "array_test-matrix",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/array_test/zig/matrix_test.zig"),
            .target = target,
            .optimize = optimize,
            .imports = example_imports,
        }),
        .test_runner = test_runner,
    });
    // The ports_ool example's Zig half against the same umbrella library: its matrix test.
    const ports_ool_service = b.createModule(.{
        .root_source_file = b.path("examples/ports_ool/zig/service.zig"),
        .imports = &.{
            .{ .name = "migz", .module = host },
            .{ .name = "ports_ool", .module = ports_ool_stubs },
        },
    });
    const ports_ool_matrix = b.addTest(.{
        .name = "ports_ool-matrix",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/ports_ool/zig/matrix_test.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{
                .{ .name = "migz", .module = host },
                .{ .name = "ports_ool", .module = ports_ool_stubs },
                .{ .name = "service", .module = ports_ool_service },
                .{ .name = "zig_host", .module = host_exports },
            },
        }),
        .test_runner = test_runner,
    });
    // Arrays of out-of-line types across languages, against the same umbrella library.
    const ool_arrays_matrix = b.addTest(.{
        .name = "ool_arrays-matrix",
        .root_module = b.createModule(.{
            .root_source_file = b.path("zig/tests/ool_arrays_matrix.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{
                .{ .name = "migz", .module = host },
                .{ .name = "ool_arrays", .module = ool_arrays_stubs },
                .{ .name = "zig_host", .module = host_exports },
            },
        }),
        .test_runner = test_runner,
    });
    // The bootstrap example's Zig half against the umbrella library: services found by name.
    const bootstrap_service = b.createModule(.{
        .root_source_file = b.path("examples/bootstrap/zig/service.zig"),
        .imports = &.{
            .{ .name = "migz", .module = host },
            .{ .name = "adder", .module = adder_stubs },
        },
    });
    const bootstrap_example = b.addTest(.{
        .name = "bootstrap-example",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/bootstrap/zig/test.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{
                .{ .name = "migz", .module = host },
                .{ .name = "service", .module = bootstrap_service },
                .{ .name = "zig_host", .module = host_exports },
            },
        }),
        .test_runner = test_runner,
    });
    const demo = b.addExecutable(.{
        .name = "array_test_demo",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/array_test/zig/main.zig"),
            .target = target,
            .optimize = optimize,
            .imports = example_imports,
        }),
    });
    // `-Dcross-lto`: `demo` runs a build of the demo whose Rust half (the umbrella
    // library) and Zig half are optimised together at link time, so the generated Zig pack
    // and unpack exports inline into the generated Rust that calls them; `lto-check`
    // proves it on the binaries.
    const cross_lto = b.option(bool, "cross-lto", "Link the demo's Rust and Zig halves with cross-language ThinLTO (local transport)") orelse false;
    const lto_check = b.step("lto-check", "With -Dcross-lto: prove that the Zig exports inline into the demo's Rust");
    if (cross_lto and !target.result.os.tag.isDarwin()) {
        const lto_demo = crossLtoDemo(b, target);
        steps.demo.dependOn(&b.addRunArtifact(lto_demo).step);
        steps.build.dependOn(&lto_demo.step);
        lto_check.dependOn(&ltoCheck(b, demo, lto_demo).step);
    } else {
        steps.demo.dependOn(&b.addRunArtifact(demo).step);
        const missing = b.addFail("lto-check needs -Dcross-lto and a target other than Darwin");
        lto_check.dependOn(&missing.step);
    }

    // The matrices need the Rust library, which exists only for the local transport.
    const darwin = target.result.os.tag.isDarwin();
    const every_test = [_]*std.Build.Step.Compile{ unit_tests, tool_tests } ++ e2e_tests ++ .{ matrix, ports_ool_matrix, ool_arrays_matrix, bootstrap_example };
    const some_tests: []const *std.Build.Step.Compile = if (darwin) every_test[0 .. every_test.len - 3] else &every_test;
    // Generated mach_port.defs stubs on the emulation's own task port (local transport,
    // with the corpus beside the checkout).
    var test_list: std.ArrayList(*std.Build.Step.Compile) = .empty;
    test_list.appendSlice(b.allocator, some_tests) catch @panic("out of memory");
    if (!darwin) {
        if (taskPortTest(b, migz, test_runner, target, optimize)) |t| test_list.append(b.allocator, t) catch @panic("out of memory");
    }
    const all_tests = test_list.items;
    steps.test_unit.dependOn(&runTests(b, summary, &.{unit_tests}).step);
    steps.@"test".dependOn(&runTests(b, summary, all_tests).step);
    for (all_tests) |t| steps.build.dependOn(&t.step);
    steps.build.dependOn(&summary.step);
    steps.build.dependOn(&demo.step);

    // examples/zig_mach_port: generated mach_port.defs stubs on the macOS kernel, built for
    // the target when it is macOS, and else cross-compiled and linked for
    // aarch64-macos.11.0 by `check` and `test` (not run). Its .defs come from
    // `-Dmacos-sdk=PATH` (an SDK's usr/include/mach) or from ../shared/corpus when it is
    // beside the checkout (as in CI); without either, `check` and `test` fail unless
    // MIGZ_SKIP lists `corpus`, since they would pass without linking it.
    const sdk = b.option([]const u8, "macos-sdk", "A macOS SDK, whose mach_port.defs examples/zig_mach_port uses");
    if (machPortProgram(b, if (darwin) target else null, optimize, sdk)) |exe| {
        // Installing forces the link, not just the compile.
        const install = b.addInstallArtifact(exe, .{});
        steps.check.dependOn(&install.step);
        steps.@"test".dependOn(&install.step);
        if (darwin) steps.build.dependOn(&install.step);
    } else {
        // No .defs for it, so `check` and `test` would pass without linking it: a failure,
        // unless MIGZ_SKIP lists `corpus` (or `all`); then the skip is said, and logged for
        // scripts/test's summary. Decided when the step runs, since the configuration is
        // cached and the environment is not part of it.
        const missing = b.addSystemCommand(&.{
            "sh", "-c",
            \\case ",$(printf %s "${MIGZ_SKIP:-}" | tr -d ' ')," in
            \\  *,corpus,* | *,all,*) ;;
            \\  *) echo "examples/zig_mach_port needs Apple's mach_port.defs: give -Dmacos-sdk=PATH, or put the corpus at ../shared/corpus, or set MIGZ_SKIP=corpus to skip it" >&2; exit 1 ;;
            \\esac
            \\echo "skipped: examples/zig_mach_port: no -Dmacos-sdk and no ../shared/corpus (MIGZ_SKIP=$MIGZ_SKIP)" >&2
            \\if [ -n "${MIGZ_SKIP_LOG:-}" ]; then echo "corpus zig-build zig_mach_port" >> "$MIGZ_SKIP_LOG"; fi
        });
        missing.setName("zig_mach_port needs mach_port.defs");
        missing.has_side_effects = true;
        steps.check.dependOn(&missing.step);
        steps.@"test".dependOn(&missing.step);
    }

    steps.fmt.dependOn(&b.addFmt(.{
        .paths = &.{ b.path("build.zig"), b.path("zig"), b.path("examples"), b.path("tests/zig-host"), b.path("tests/zig-package") },
        .check = true,
    }).step);
}

/// The demo (`examples/array_test/zig/main.zig`) linked with cross-language ThinLTO: its
/// Zig, compiled on its own to LLVM bitcode and given a ThinLTO summary by the pinned
/// Zig's clang (`zig cc -flto=thin`), and the umbrella Rust library built with
/// `-Clinker-plugin-lto`, optimised together by the linker. Zig's own LTO gives no
/// ThinLTO summary to the module it links, and Rust's bitcode can only import from
/// modules that have one, hence the separate object. The Zig half is compiled for the
/// target's baseline CPU, as Rust's is: a function is only inlined into a caller that
/// has every CPU feature it was compiled for. Both compilers must be on one LLVM major
/// version: a step checks it first and fails with both versions otherwise.
fn crossLtoDemo(b: *std.Build, target: std.Build.ResolvedTarget) *std.Build.Step.Compile {
    const baseline = b.resolveTargetQuery(.{
        .cpu_arch = target.result.cpu.arch,
        .os_tag = target.result.os.tag,
        .abi = target.result.abi,
        .cpu_model = .baseline,
    });
    // Bitcode of optimised code: a debug build's functions are never inlined.
    const optimize: std.builtin.Optimize = .fast;
    const runtime = addRuntime(b, .{ .name = null, .target = baseline, .optimize = optimize, .link_rust = false });
    var stubs: [4]std.Build.Module.Import = undefined;
    for (&stubs, [_][2][]const u8{
        .{ "array_test", "examples/defs/array_test.defs" },
        .{ "ports_ool", "examples/defs/ports_ool.defs" },
        .{ "adder", "examples/bootstrap/defs/adder.defs" },
        .{ "ool_arrays", "tests/conformance/ool_arrays.defs" },
    }) |*import, sub| import.* = .{
        .name = sub[0],
        .module = addDefs(b, .{ .defs = b.path(sub[1]), .subsystem = sub[0], .migz_module = runtime }),
    };
    const exports = b.createModule(.{ .root_source_file = b.path("tests/zig-host/exports.zig"), .imports = &stubs });
    const service = b.createModule(.{
        .root_source_file = b.path("examples/array_test/zig/service.zig"),
        .imports = &.{ .{ .name = "migz", .module = runtime }, stubs[0] },
    });
    const object = b.addObject(.{
        .name = "array_test_demo_lto",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/array_test/zig/main.zig"),
            .target = baseline,
            .optimize = optimize,
            .link_libc = true,
            .pic = true,
            .imports = &.{
                .{ .name = "migz", .module = runtime },
                stubs[0],
                .{ .name = "service", .module = service },
                .{ .name = "zig_host", .module = exports },
            },
        }),
        .use_llvm = true,
    });

    const versions = b.addSystemCommand(&.{
        "sh",            "-c",
        \\rust=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
        \\zig=$("$0" cc --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p')
        \\if [ -z "$rust" ] || [ "$rust" != "$zig" ]; then
        \\  echo "cross-language LTO needs rustc and Zig on one LLVM major version: rustc has LLVM ${rust:-?}, Zig's clang ${zig:-?}" >&2
        \\  exit 1
        \\fi
        ,
        b.graph.zig_exe,
    });
    versions.setName("rustc and Zig share an LLVM version");
    versions.has_side_effects = true;

    const thin = b.addSystemCommand(&.{ b.graph.zig_exe, "cc", "-target" });
    thin.addArg(baseline.result.zigTriple(b.allocator) catch @panic("out of memory"));
    thin.addArgs(&.{ "-c", "-flto=thin", "-O3", "-fPIC", "-Wno-override-module" });
    thin.addFileArg(object.getEmittedLlvmBc());
    thin.addArg("-o");
    const thin_object = thin.addOutputFileArg("array_test_demo.thin.o");
    thin.step.dependOn(&versions.step);
    thin.setName("zig cc -flto=thin (the demo's Zig)");

    const module = b.createModule(.{ .target = baseline, .optimize = optimize, .link_libc = true });
    module.addObjectFile(thin_object);
    module.addObjectFile(rustLibrary(b, "migz-zig-host", .bitcode));
    module.linkSystemLibrary("unwind", .{});
    const exe = b.addExecutable(.{ .name = "array_test_demo_lto", .root_module = module });
    exe.lto = .thin;
    return exe;
}

/// Proves the inlining on the two demos: the generated Zig export that the Rust client
/// calls to pack a request is a symbol of the ordinary demo, and is gone from the
/// cross-LTO one, where its one caller, the generated Rust, took it in; both demos run
/// and print the same.
fn ltoCheck(b: *std.Build, plain: *std.Build.Step.Compile, lto: *std.Build.Step.Compile) *std.Build.Step.Run {
    const check = b.addSystemCommand(&.{
        "sh", "-c",
        \\set -e
        \\export_name=migz1_array_test_sum_array_pack_request
        \\nm "$0" | grep -q " [Tt] $export_name\$" || { echo "lto-check: $export_name is not a symbol of the ordinary demo $0" >&2; exit 1; }
        \\if nm "$1" | grep -q "$export_name"; then echo "lto-check: $export_name is still in the cross-LTO demo $1: not inlined" >&2; exit 1; fi
        \\"$0" > "$2.plain" 2>&1
        \\"$1" > "$2.lto" 2>&1
        \\cmp -s "$2.plain" "$2.lto" || { echo "lto-check: the two demos print differently" >&2; diff "$2.plain" "$2.lto" >&2; exit 1; }
        \\echo "lto-check: $export_name inlined into the Rust that calls it; both demos print the same"
    });
    check.addArtifactArg(plain);
    check.addArtifactArg(lto);
    _ = check.addOutputFileArg("demo-output");
    check.has_side_effects = true;
    check.setName("lto-check");
    return check;
}

/// `examples/zig_mach_port/main.zig` with stubs generated from Apple's `mach_port.defs`
/// in the user view, for `target` (null: aarch64-macos.11.0), or null when no `.defs`
/// are at hand (no SDK given, no ../shared/corpus).
fn machPortProgram(b: *std.Build, target: ?std.Build.ResolvedTarget, optimize: std.builtin.Optimize, sdk: ?[]const u8) ?*std.Build.Step.Compile {
    const at = struct {
        fn path(bb: *std.Build, base: []const u8, sub: []const u8) LazyPath {
            return bb.graph.cwdRelativePath(bb.pathJoin(&.{ base, sub }));
        }
    };
    const macos = target orelse b.resolveTargetQuery(std.Target.Query.parse(.{ .arch_os_abi = "aarch64-macos.11.0" }) catch unreachable); // A valid triple.
    const migz = addRuntime(b, .{ .name = null, .target = macos, .optimize = optimize });
    const stubs = if (sdk) |root| addDefs(b, .{
        // An SDK ships the .defs beside the headers they include.
        .defs = at.path(b, root, "usr/include/mach/mach_port.defs"),
        .include_dirs = &.{at.path(b, root, "usr/include")},
        .defines = &.{"LIBSYSCALL_INTERFACE"},
        .subsystem = "mach_port",
        .migz_module = migz,
    }) else corpus: {
        b.root.access(b.graph.io, "../shared/corpus", .{}) catch return null;
        const corpus = b.root.joinString(b.allocator, "../shared/corpus") catch @panic("out of memory");
        break :corpus addDefs(b, .{
            .defs = at.path(b, corpus, "xnu/libsyscall/mach/mach_port.defs"),
            .include_dirs = &.{ at.path(b, corpus, "xnu/osfmk"), at.path(b, corpus, "include") },
            .defines = &.{"LIBSYSCALL_INTERFACE"},
            .subsystem = "mach_port",
            .migz_module = migz,
        });
    };
    return b.addExecutable(.{
        .name = "zig_mach_port",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/zig_mach_port/main.zig"),
            .target = macos,
            .optimize = optimize,
            .imports = &.{
                .{ .name = "migz", .module = migz },
                .{ .name = "mach_port", .module = stubs },
            },
        }),
    });
}

/// `zig/tests/task_port_e2e.zig`: Apple's `mach_port.defs` from ../shared/corpus,
/// generated for the local transport and called on the emulation's task port; null
/// without the corpus.
fn taskPortTest(
    b: *std.Build,
    migz: *std.Build.Module,
    test_runner: std.Build.Step.Compile.TestRunner,
    target: std.Build.ResolvedTarget,
    optimize: std.builtin.Optimize,
) ?*std.Build.Step.Compile {
    b.root.access(b.graph.io, "../shared/corpus", .{}) catch return null;
    const corpus = b.root.joinString(b.allocator, "../shared/corpus") catch @panic("out of memory");
    const stubs = addDefs(b, .{
        .defs = b.graph.cwdRelativePath(b.pathJoin(&.{ corpus, "xnu/libsyscall/mach/mach_port.defs" })),
        .include_dirs = &.{
            b.graph.cwdRelativePath(b.pathJoin(&.{ corpus, "xnu/osfmk" })),
            b.graph.cwdRelativePath(b.pathJoin(&.{ corpus, "include" })),
        },
        .defines = &.{"LIBSYSCALL_INTERFACE"},
        .subsystem = "mach_port",
        .migz_module = migz,
    });
    // task.defs' special-port routines, written for the tests (no corpus needed for it).
    const task_stubs = addDefs(b, .{
        .defs = b.path("tests/rust-e2e/defs/task_special.defs"),
        .subsystem = "task",
        .migz_module = migz,
    });
    return b.addTest(.{
        .name = "task_port-e2e",
        .root_module = b.createModule(.{
            .root_source_file = b.path("zig/tests/task_port_e2e.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{
                .{ .name = "migz", .module = migz },
                .{ .name = "mach_port", .module = stubs },
                .{ .name = "task", .module = task_stubs },
            },
        }),
        .test_runner = test_runner,
    });
}

/// The end-to-end test `zig/tests/<name>_e2e.zig` of `examples/defs/<name>.defs`.
fn addExampleTest(
    b: *std.Build,
    migz: *std.Build.Module,
    test_runner: std.Build.Step.Compile.TestRunner,
    comptime name: []const u8,
    target: std.Build.ResolvedTarget,
    optimize: std.builtin.Optimize,
) *std.Build.Step.Compile {
    return addE2eTest(b, migz, test_runner, name, b.path("examples/defs/" ++ name ++ ".defs"), target, optimize);
}

/// The end-to-end test `zig/tests/<name>_e2e.zig` of `defs`, whose subsystem is `name`.
fn addE2eTest(
    b: *std.Build,
    migz: *std.Build.Module,
    test_runner: std.Build.Step.Compile.TestRunner,
    comptime name: []const u8,
    defs: LazyPath,
    target: std.Build.ResolvedTarget,
    optimize: std.builtin.Optimize,
) *std.Build.Step.Compile {
    const stubs = addDefs(b, .{
        .defs = defs,
        .subsystem = name,
        .migz_module = migz,
    });
    return b.addTest(.{
        .name = name ++ "-e2e",
        .root_module = b.createModule(.{
            .root_source_file = b.path("zig/tests/" ++ name ++ "_e2e.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{
                .{ .name = "migz", .module = migz },
                .{ .name = name, .module = stubs },
            },
        }),
        .test_runner = test_runner,
    });
}

/// Options of `addRuntime`.
const RuntimeOptions = struct {
    /// Exported under this name (`b.addModule`), or private when null.
    name: ?[]const u8,
    /// The target the module is compiled for.
    target: std.Build.ResolvedTarget,
    /// The optimization mode.
    optimize: std.builtin.Optimize,
    /// The Rust static library linked on the local transport: `migz-ffi` (the transport
    /// alone) or an umbrella such as `migz-zig-host` (the transport and Rust code that
    /// Zig calls). One per binary, so Rust's runtime is linked once.
    rust_package: []const u8 = "migz-ffi",
    /// The static library prebuilt (`-Dmigz-ffi-lib`), linked instead of running cargo.
    prebuilt: ?LazyPath = null,
    /// Whether the module links the Rust library: not for code compiled to an object
    /// that is linked with the library later (`crossLtoDemo`).
    link_rust: bool = true,
};

/// The `migz` module for one target: `zig/src/migz.zig` and, on the local transport
/// (targets other than Darwin), the Rust static library with what it needs to link
/// (libunwind, libc).
fn addRuntime(b: *std.Build, options: RuntimeOptions) *std.Build.Module {
    const local = !options.target.result.os.tag.isDarwin();

    const create: std.Build.Module.CreateOptions = .{
        .root_source_file = b.path("zig/src/migz.zig"),
        .target = options.target,
        .optimize = options.optimize,
        .link_libc = true,
        // Zig code linked with the Rust library has been seen to need -fno-stack-check in
        // Debug/Safe builds (not on x86_64-linux, where it links either way); the runtime
        // has no large frames for probes to guard.
        .stack_check = if (local) false else null,
    };
    const module = if (options.name) |name| b.addModule(name, create) else b.createModule(create);

    if (local and options.link_rust) {
        module.addObjectFile(options.prebuilt orelse rustLibrary(b, options.rust_package, .machine_code));
        module.linkSystemLibrary("unwind", .{});
    }
    return module;
}

/// What rustc emits into a Rust library: machine code, or LLVM bitcode for cross-language
/// LTO (`-Clinker-plugin-lto`, into a target directory of its own, `cross-lto/`, so that
/// the two builds do not undo each other).
const RustCode = enum { machine_code, bitcode };

/// `release/lib<package>.a` (dashes as underscores) of the cargo target directory, built
/// by cargo. The library is copied into the cache so that every compilation that links
/// it depends on the cargo step.
fn rustLibrary(b: *std.Build, package: []const u8, code: RustCode) LazyPath {
    const copy = b.addWriteFiles();
    copy.step.dependOn(&cargoBuild(b, b, package, code).step);
    const file = b.fmt("lib{s}.a", .{package});
    std.mem.replaceScalar(u8, file, '-', '_');
    const dir = switch (code) {
        .machine_code => "release",
        .bitcode => "cross-lto/release",
    };
    return copy.addCopyFile(cargoOutput(b, b.fmt("{s}/{s}", .{ dir, file })), file);
}

/// Where cargo writes for the migz checkout whose build is `checkout`, whatever
/// `CARGO_TARGET_DIR` says: its `target/` when it is the root build (shared with
/// `cargo test`), else a directory of Zig's global cache named after the package's hash,
/// so that a fetched package stays as fetched and every project using this version of
/// migz shares one Rust build.
fn cargoTargetDir(checkout: *std.Build) LazyPath {
    if (checkout.isRoot()) return checkout.path("target");
    // A fetched package's hash is a file name; a path dependency's "hash" is its path,
    // which is named by a hash of it instead.
    const hash = checkout.pkg_hash;
    const plain = for (hash) |c| {
        if (!std.ascii.isAlphanumeric(c) and c != '-' and c != '_' and c != '.') break false;
    } else true;
    return .{ .relative = .{
        .base = .global_cache,
        .sub_path = if (plain)
            checkout.fmt("migz-cargo/{s}", .{hash})
        else
            checkout.fmt("migz-cargo/path-{x:0>16}", .{std.hash.Wyhash.hash(0, hash)}),
    } };
}

/// `sub_path` in the cargo target directory of `checkout` (see `cargoTargetDir`).
fn cargoOutput(checkout: *std.Build, sub_path: []const u8) LazyPath {
    return cargoTargetDir(checkout).path(checkout, sub_path);
}

/// `cargo build --release -p <package>` in the migz checkout whose build is `checkout`,
/// into `cargoTargetDir(checkout)`, so the paths above hold; `--locked` when migz is a
/// dependency, so that not even `Cargo.lock` is written. It runs on every build: cargo
/// knows best what is stale.
fn cargoBuild(b: *std.Build, checkout: *std.Build, package: []const u8, code: RustCode) *std.Build.Step.Run {
    const cargo = b.addSystemCommand(&.{ "cargo", "build", "--release", "--quiet", "-p", package });
    if (!checkout.isRoot()) cargo.addArg("--locked");
    cargo.addArg("--target-dir");
    switch (code) {
        .machine_code => cargo.addDirectoryArg(cargoTargetDir(checkout)),
        .bitcode => {
            cargo.addDirectoryArg(cargoTargetDir(checkout).path(checkout, "cross-lto"));
            // Only these flags: a cargo that runs this build passes its own, which would
            // otherwise win over RUSTFLAGS.
            cargo.setEnvironmentVariable("RUSTFLAGS", "-Clinker-plugin-lto");
            cargo.removeEnvironmentVariable("CARGO_ENCODED_RUSTFLAGS");
        },
    }
    cargo.setCwd(checkout.path("."));
    cargo.setName(b.fmt("cargo build -p {s}{s}", .{ package, if (code == .bitcode) " (bitcode)" else "" }));
    return cargo;
}

/// Runs test binaries under `test_summary`, which prints `N passed, M failed` last.
fn runTests(
    b: *std.Build,
    summary: *std.Build.Step.Compile,
    tests: []const *std.Build.Step.Compile,
) *std.Build.Step.Run {
    const run = b.addRunArtifact(summary);
    for (tests) |t| run.addArtifactArg(t);
    run.stdio = .inherit;
    return run;
}

/// Options of `addDefs`.
pub const DefsOptions = struct {
    /// The `.defs` file.
    defs: LazyPath,
    /// `-I` directories searched by `#include`.
    include_dirs: []const LazyPath = &.{},
    /// `-D` definitions, `NAME` or `NAME=VALUE`.
    defines: []const []const u8 = &.{},
    /// The subsystem name the `.defs` declares: the generated file is `<subsystem>.zig`.
    subsystem: []const u8,
    /// The runtime module the generated code imports as `migz`.
    migz_module: *std.Build.Module,
    /// The `migz` binary; null takes the one given to the checkout that provides
    /// `migz_module` (`-Dmigz-exe`), or builds it there with
    /// `cargo build --release -p migz-cli`.
    migz_exe: ?LazyPath = null,
};

/// Generates the Zig stubs of a `.defs` file (`migz gen --zig DIR -I.. -D.. FILE`) and
/// returns them as a module whose root is `<subsystem>.zig`, importing `migz`. The
/// generator runs on every build (it is fast), because the files a `.defs` includes are
/// not known in advance; compilations are redone only when its output changed.
pub fn addDefs(b: *std.Build, options: DefsOptions) *std.Build.Module {
    const gen = std.Build.Step.Run.create(b, b.fmt("migz gen --zig ({s})", .{options.subsystem}));
    // The module's owner is migz's own build, also when `b` is a dependent's.
    const checkout = options.migz_module.owner;
    if (options.migz_exe orelse checkout.named_lazy_paths.get("migz-exe")) |exe| {
        gen.addFileArg(exe);
    } else {
        gen.step.dependOn(&cargoBuild(b, checkout, "migz-cli", .machine_code).step);
        gen.addFileArg(cargoOutput(checkout, "release/migz"));
    }
    gen.addArgs(&.{ "gen", "--zig" });
    const out = gen.addOutputDirectoryArg("zig");
    for (options.include_dirs) |dir| {
        gen.addArg("-I");
        gen.addDirectoryArg(dir);
    }
    for (options.defines) |define| gen.addArgs(&.{ "-D", define });
    gen.addFileArg(options.defs);
    gen.has_side_effects = true;

    return b.createModule(.{
        .root_source_file = out.path(b, b.fmt("{s}.zig", .{options.subsystem})),
        .imports = &.{.{ .name = "migz", .module = options.migz_module }},
    });
}
