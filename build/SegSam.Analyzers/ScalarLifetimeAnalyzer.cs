using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace SegSam.Analyzers;

/// <summary>
/// SEGSAM001: TorchSharp code that creates a Scalar nobody keeps alive. TorchSharp 0.107 reads a
/// temporary Scalar's native handle and lets the object go; a garbage collection during the
/// native call may then free it under libtorch. Flagged: implicit conversions to Scalar,
/// Tensor operators with a number operand, Tensor + Tensor, and the TorchSharp overloads that
/// fill in a literal themselves: add/add_ without alpha, addcdiv/addcmul without value, and
/// arange without all three of start, stop and step. Use SegSam.SafeMath instead.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ScalarLifetimeAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        "SEGSAM001",
        "TorchSharp Scalar left to the finalizer",
        "{0} creates a TorchSharp Scalar that can be freed while libtorch uses it; use SegSam.SafeMath ({1})",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(AnalyzeConversion, OperationKind.Conversion);
        context.RegisterOperationAction(AnalyzeBinary, OperationKind.Binary);
        context.RegisterOperationAction(AnalyzeCompound, OperationKind.CompoundAssignment);
        context.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
    }

    static bool IsScalar(ITypeSymbol? type) =>
        type is { Name: "Scalar" } && type.ContainingNamespace?.ToDisplayString() == "TorchSharp";

    static bool IsTensor(ITypeSymbol? type) =>
        type is { Name: "Tensor" } && type.ContainingType?.Name == "torch" && type.ContainingNamespace?.ToDisplayString() == "TorchSharp";

    static bool IsNumber(ITypeSymbol? type) => type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64
        or SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Int16 or SpecialType.System_Byte
        or SpecialType.System_SByte or SpecialType.System_Boolean;

    static void AnalyzeConversion(OperationAnalysisContext context)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (conversion.IsImplicit && conversion.OperatorMethod is not null && IsScalar(conversion.Type))
            context.ReportDiagnostic(Diagnostic.Create(Rule, conversion.Syntax.GetLocation(),
                $"Implicit conversion of '{conversion.Operand.Syntax}' to Scalar", "Plus/Minus/Times/Over/EqualTo/…, or a using-scoped ToScalar()"));
    }

    static void AnalyzeBinary(OperationAnalysisContext context)
    {
        var binary = (IBinaryOperation)context.Operation;
        Check(context, binary.OperatorMethod, binary.Syntax);
    }

    static void AnalyzeCompound(OperationAnalysisContext context)
    {
        var compound = (ICompoundAssignmentOperation)context.Operation;
        Check(context, compound.OperatorMethod, compound.Syntax);
    }

    static void Check(OperationAnalysisContext context, IMethodSymbol? op, SyntaxNode syntax)
    {
        if (op is null || !IsTensor(op.ContainingType)) return;
        var parameters = op.Parameters;
        bool numberOperand = parameters.Any(p => IsNumber(p.Type) || IsScalar(p.Type));
        bool tensorPlusTensor = op.Name == "op_Addition" && parameters.All(p => IsTensor(p.Type));
        if (numberOperand || tensorPlusTensor)
            context.ReportDiagnostic(Diagnostic.Create(Rule, syntax.GetLocation(),
                $"Tensor operator '{syntax}'", tensorPlusTensor ? "a.Plus(b)" : "Plus/Minus/Times/Over/EqualTo/GreaterThan"));
    }

    static void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        string? hidden = null;
        if (IsTensor(method.ContainingType))
        {
            if (method.Name is "add" or "add_" && method.Parameters.Length == 1) hidden = "alpha = 1";
            else if (method.Name is "addcdiv" or "addcdiv_" or "addcmul" or "addcmul_" && method.Parameters.Length == 2) hidden = "value = 1";
        }
        else if (method.Name == "arange" && method.ContainingType is { Name: "torch" }
                 && method.Parameters.Count(p => IsScalar(p.Type)) < 3)
        {
            hidden = "start = 0 / step = 1";
        }
        if (hidden is not null)
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(),
                $"'{invocation.Syntax}' ({hidden} as a temporary Scalar)", "pass every Scalar explicitly, e.g. a.Plus(b), SafeMath.Range"));
    }
}
