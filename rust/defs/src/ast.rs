//! The syntax tree of a `.defs` file, as the parser reads it: statements in source order,
//! every node with its span. Nothing is resolved here; [`crate::sema`] does that.

use crate::source::Span;

/// A name with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The spelling.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A whole file after preprocessing.
#[derive(Clone, Debug, Default)]
pub struct File {
    /// The statements in order.
    pub items: Vec<Item>,
}

/// One statement.
#[derive(Clone, Debug)]
pub struct Item {
    /// What it says.
    pub kind: ItemKind,
    /// From its first token to its `;`.
    pub span: Span,
}

/// The statements migcom accepts.
#[derive(Clone, Debug)]
pub enum ItemKind {
    /// `subsystem [KernelUser] [KernelServer] name base;`
    Subsystem {
        /// `KernelUser` was given.
        kernel_user: bool,
        /// `KernelServer` was given.
        kernel_server: bool,
        /// The subsystem's name.
        name: Ident,
        /// The first message id.
        base: u32,
    },
    /// `WaitTime value;` or `NoWaitTime;` (None).
    WaitTime(Option<Ident>),
    /// `SendTime value;` or `NoSendTime;` (None).
    SendTime(Option<Ident>),
    /// `MsgOption value;`
    MsgOption(Ident),
    /// `UseSpecialReplyPort n;`
    UseSpecialReplyPort(u32),
    /// `ConsumeOnSendError None|Timeout|Any;`
    ConsumeOnSendError(Ident),
    /// `UserTypeLimit n;`
    UserTypeLimit(u32),
    /// `OnStackLimit n;`
    OnStackLimit(u32),
    /// `error proc;`
    Error(Ident),
    /// `ServerPrefix prefix;`
    ServerPrefix(Ident),
    /// `UserPrefix prefix;`
    UserPrefix(Ident),
    /// `ServerDemux name;`
    ServerDemux(Ident),
    /// `type name = spec;`
    Type(NamedType),
    /// `routine name(args);` or `simpleroutine name(args);`
    Routine(Routine),
    /// `skip;`
    Skip,
    /// `import "file";` and its `uimport`/`simport`/`dimport`/`iimport` variants.
    Import {
        /// Which variant.
        kind: ImportKind,
        /// The file name with its quotes or angle brackets.
        file: String,
    },
    /// `rcsid "string";`
    RcsId(String),
    /// A statement that did not parse; its diagnostic was already reported.
    Error_,
}

/// Which import statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    /// `import`: both sides.
    Both,
    /// `uimport`: the user side.
    User,
    /// `simport`: the server side.
    Server,
    /// `dimport`: the definitions header.
    Definitions,
    /// `iimport`: the internal header.
    Internal,
}

/// `name = spec decorations`.
#[derive(Clone, Debug)]
pub struct NamedType {
    /// The new type's name.
    pub name: Ident,
    /// What it is.
    pub spec: TypeSpec,
    /// `ctype:`, `intran:` and the rest, in order.
    pub decorations: Vec<Decoration>,
}

/// A type constructor.
#[derive(Clone, Debug)]
pub enum TypeSpec {
    /// An IPC type: a number or `MACH_MSG_TYPE_*`, optionally `in | out`.
    Ipc {
        /// The type sent.
        send: IpcName,
        /// The type received, when written as `send | receive`.
        receive: Option<IpcName>,
        /// Where.
        span: Span,
    },
    /// A type declared earlier.
    Named(Ident),
    /// `array[n] of T`.
    Array {
        /// The element count.
        count: u64,
        /// The element type.
        element: Box<TypeSpec>,
        /// Where.
        span: Span,
    },
    /// `array[] of T`, `array[*] of T` (max None) or `array[*:max] of T`.
    VarArray {
        /// The bound, if any.
        max: Option<u64>,
        /// The element type.
        element: Box<TypeSpec>,
        /// Where.
        span: Span,
    },
    /// `struct[n] of T`.
    Struct {
        /// The element count.
        count: u64,
        /// The element type.
        element: Box<TypeSpec>,
        /// Where.
        span: Span,
    },
    /// `^T`: sent out of line.
    Pointer {
        /// The pointee.
        target: Box<TypeSpec>,
        /// Where.
        span: Span,
    },
    /// `c_string[n]` or `c_string[*:n]`.
    CString {
        /// The byte count or bound.
        max: u64,
        /// `[*:n]`.
        varying: bool,
        /// Where.
        span: Span,
    },
    /// `PointerTo(T)`, `PointerToIfNot(T, bad)`, `ValueOf(T)`.
    Native {
        /// `PointerTo`/`PointerToIfNot` (true) or `ValueOf` (false).
        pointer: bool,
        /// The C type phrase.
        phrase: String,
        /// The value that means "absent", for `PointerToIfNot`.
        bad_value: Option<String>,
        /// Where.
        span: Span,
    },
}

impl TypeSpec {
    /// Where the constructor was written.
    pub fn span(&self) -> Span {
        match self {
            TypeSpec::Named(id) => id.span,
            TypeSpec::Ipc { span, .. }
            | TypeSpec::Array { span, .. }
            | TypeSpec::VarArray { span, .. }
            | TypeSpec::Struct { span, .. }
            | TypeSpec::Pointer { span, .. }
            | TypeSpec::CString { span, .. }
            | TypeSpec::Native { span, .. } => *span,
        }
    }
}

/// An IPC type name: a number or a symbolic `MACH_MSG_TYPE_*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpcName {
    /// A bare number: the `msgt_name` value itself, with no known size.
    Number(u32),
    /// One of migcom's symbolic types (or `polymorphic`).
    Symbolic(String),
}

/// A type decoration after the constructor.
#[derive(Clone, Debug)]
pub enum Decoration {
    /// `ctype: T`.
    CType(Ident),
    /// `cusertype: T`.
    CUserType(Ident),
    /// `cservertype: T`.
    CServerType(Ident),
    /// `intran: TransType function(ServerType)`.
    InTran {
        /// The translated type.
        trans_type: Ident,
        /// The function.
        function: Ident,
        /// The server type.
        server_type: Ident,
    },
    /// `outtran: ServerType function(TransType)`.
    OutTran {
        /// The server type.
        server_type: Ident,
        /// The function.
        function: Ident,
        /// The translated type.
        trans_type: Ident,
    },
    /// `destructor: function(TransType)`.
    Destructor {
        /// The function.
        function: Ident,
        /// The translated type.
        trans_type: Ident,
    },
}

/// Whether a routine waits for a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoutineKind {
    /// `routine`: request and reply.
    Routine,
    /// `simpleroutine`: request only.
    SimpleRoutine,
}

/// `routine name(args)`.
#[derive(Clone, Debug)]
pub struct Routine {
    /// Routine or simpleroutine.
    pub kind: RoutineKind,
    /// Its name.
    pub name: Ident,
    /// Its arguments in order.
    pub args: Vec<Arg>,
}

/// An argument direction or role keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `in`.
    In,
    /// `out`.
    Out,
    /// `inout`.
    InOut,
    /// `RequestPort`.
    RequestPort,
    /// `ReplyPort`.
    ReplyPort,
    /// `SReplyPort`.
    SReplyPort,
    /// `UReplyPort`.
    UReplyPort,
    /// `WaitTime`.
    WaitTime,
    /// `SendTime`.
    SendTime,
    /// `MsgOption`.
    MsgOption,
    /// `MsgSeqno`.
    MsgSeqno,
    /// `SecToken`.
    SecToken,
    /// `ServerSecToken`.
    ServerSecToken,
    /// `UserSecToken`.
    UserSecToken,
    /// `AuditToken`.
    AuditToken,
    /// `ServerAuditToken`.
    ServerAuditToken,
    /// `UserAuditToken`.
    UserAuditToken,
    /// `ServerContextToken`.
    ServerContextToken,
    /// `ServerImpl` (a trailer argument).
    ServerImpl,
    /// `UserImpl` (a trailer argument).
    UserImpl,
}

/// The type of an argument: a name, or a type written in place.
#[derive(Clone, Debug)]
pub enum ArgType {
    /// `: name`.
    Named(Ident),
    /// `: name = spec`.
    Inline(Box<NamedType>),
    /// `: PointerTo(...)` and friends.
    Native(TypeSpec),
    /// `: array[*:n] of T` and other constructors written in place (a migz extension).
    Anonymous(TypeSpec, Vec<Decoration>),
}

/// An IPC flag after an argument's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `SameCount`.
    SameCount,
    /// `RetCode`.
    RetCode,
    /// `PhysicalCopy`.
    PhysicalCopy,
    /// `Overwrite`.
    Overwrite,
    /// `Dealloc`.
    Dealloc,
    /// `NotDealloc`.
    NotDealloc,
    /// `Dealloc[]`: the caller decides at run time.
    MaybeDealloc,
    /// `CountInOut`.
    CountInOut,
    /// `auto`.
    Auto,
    /// `const`.
    Const,
}

/// One argument.
#[derive(Clone, Debug)]
pub struct Arg {
    /// The direction keyword, if any.
    pub direction: Option<Direction>,
    /// Its name.
    pub name: Ident,
    /// Its type.
    pub ty: ArgType,
    /// Its flags with their spans.
    pub flags: Vec<(Flag, Span)>,
    /// The whole argument.
    pub span: Span,
}
