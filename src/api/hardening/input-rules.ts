import {
  GraphQLError,
  Kind,
  type ASTNode,
  type ExecutionArgs,
  type ExecutionResult,
  type ValidationContext,
  type ASTVisitor,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { textProblem } from '../../domain/text-rule.js';
import { badUserInput } from '../../resolvers/errors.js';
import type { GraphQLContext } from '../../schema/context.js';

/** `labels[0].value`: where a bad string sits inside an argument or a variable. */
function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((step, index) =>
      typeof step === 'number' ? `[${step}]` : index === 0 ? step : `.${step}`,
    )
    .join('');
}

/**
 * The first string in a variable's value that breaks the text rule (object keys too: a made-up
 * field name is echoed in graphql-js's own error), with its path.
 */
function findBadText(
  value: unknown,
  path: (string | number)[],
): { path: (string | number)[]; problem: string } | undefined {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem === undefined ? undefined : { path, problem };
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = findBadText(value[index], [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = textProblem(key);
      if (keyProblem !== undefined) return { path, problem: `has a field name that ${keyProblem}` };
      const found = findBadText(item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

type Parent = ASTNode | readonly ASTNode[] | undefined;
type Ancestors = readonly (ASTNode | readonly ASTNode[])[];

/** The argument a literal belongs to, and where inside it: `input` at `labels[0].value`. */
function whereInArgument(parent: Parent, path: readonly (string | number)[], ancestors: Ancestors) {
  // Each of these leads to the next (the last to the literal) through path[i]: a list's element
  // index is the key after its `values`.
  const lineage = [...ancestors, parent];
  const trail: (string | number)[] = [];
  for (let index = lineage.length - 1; index >= 0; index--) {
    const ancestor = lineage[index] as ASTNode | readonly ASTNode[] | undefined;
    if (!ancestor || Array.isArray(ancestor)) continue;
    const astNode = ancestor as ASTNode;
    if (astNode.kind === Kind.LIST) trail.unshift(path[index + 1] as number);
    if (astNode.kind === Kind.OBJECT_FIELD) trail.unshift(astNode.name.value);
    if (astNode.kind === Kind.ARGUMENT) return { argument: astNode.name.value, trail };
  }
  return { argument: undefined, trail };
}

/**
 * Refuses literals no store can keep, naming the argument they belong to: strings that break the
 * text rule, and numbers too large for a double (graphql-js reads a Float literal `1e400` as
 * Infinity without complaint, while a variable of that value is refused).
 */
function inputRulesValidation(context: ValidationContext): ASTVisitor {
  function refuse(
    node: ASTNode,
    problem: string,
    parent: Parent,
    path: readonly (string | number)[],
    ancestors: Ancestors,
  ) {
    const { argument, trail } = whereInArgument(parent, path, ancestors);
    const where = argument === undefined ? 'A value' : `Argument "${argument}"`;
    const at = trail.length > 0 ? ` at "${formatPath(trail)}"` : '';
    context.reportError(
      new GraphQLError(`${where}${at} ${problem}`, {
        nodes: node,
        extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument } : {}) },
      }),
    );
  }
  return {
    StringValue(node, _key, parent, path, ancestors) {
      const problem = textProblem(node.value);
      if (problem !== undefined) refuse(node, problem, parent, path, ancestors);
    },
    FloatValue(node, _key, parent, path, ancestors) {
      if (Number.isFinite(Number(node.value))) return;
      const problem = 'must be a finite number (at most about 1.8e308)';
      refuse(node, problem, parent, path, ancestors);
    },
  };
}

function variablesRefusal(args: ExecutionArgs): GraphQLError | undefined {
  for (const [name, value] of Object.entries(args.variableValues ?? {})) {
    const found = findBadText(value, []);
    if (!found) continue;
    const at = found.path.length > 0 ? ` at "${formatPath(found.path)}"` : '';
    return badUserInput(`Variable "$${name}"${at} ${found.problem}`, name);
  }
  return undefined;
}

/**
 * The text rule (src/domain/text-rule.ts) for every GraphQL string input, and finite numbers:
 * literals are refused at validation, variables before the operation runs, both with
 * BAD_USER_INPUT naming the argument or variable. One check for every argument of every field
 * rather than one per resolver, so no new argument can forget it and no NUL reaches PostgreSQL
 * as a masked error. (A non-finite variable is refused by graphql-js's own Float coercion.)
 */
export function createInputRulesPlugin(): Plugin<GraphQLContext> {
  const check = (args: ExecutionArgs, stop: (result: ExecutionResult) => void) => {
    const refusal = variablesRefusal(args);
    if (refusal) stop({ errors: [refusal] });
  };
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(inputRulesValidation);
    },
    onExecute({ args, setResultAndStopExecution }) {
      check(args, setResultAndStopExecution);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      check(args, setResultAndStopExecution);
    },
  };
}
