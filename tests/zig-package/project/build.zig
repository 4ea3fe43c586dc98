//! A Zig project outside the migz repository that depends on migz as a package
//! (`zig fetch --save=migz <tarball>`), generates stubs from its own `.defs` and runs a Zig
//! client against a Zig server. `-Dmigz-exe` and `-Dmigz-ffi-lib` pass migz's Rust outputs
//! prebuilt, so that no Rust toolchain is needed.

const std = @import("std");
const migz = @import("migz");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    const dep = b.dependency("migz", .{
        .target = target,
        .optimize = optimize,
        .@"migz-exe" = b.option(std.Build.LazyPath, "migz-exe", "A prebuilt migz binary"),
        .@"migz-ffi-lib" = b.option(std.Build.LazyPath, "migz-ffi-lib", "A prebuilt libmigz_ffi.a"),
    });
    const runtime = dep.module("migz");
    const hello = migz.addDefs(b, .{
        .defs = b.path("hello.defs"),
        .subsystem = "hello",
        .migz_module = runtime,
    });
    const exe = b.addExecutable(.{
        .name = "hello",
        .root_module = b.createModule(.{
            .root_source_file = b.path("main.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{
                .{ .name = "migz", .module = runtime },
                .{ .name = "hello", .module = hello },
            },
        }),
    });
    b.installArtifact(exe);
    const run = b.addRunArtifact(exe);
    b.step("run", "Run the client against the server").dependOn(&run.step);
}
