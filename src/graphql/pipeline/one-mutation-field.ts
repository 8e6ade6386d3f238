import {
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/**
 * A mutation operation selects at most one mutation field (`__typename`
 * aside). Mutation fields run one after another and each commits on its own,
 * so with two a failure in the second would leave the first written; with one
 * per operation, every operation is all or nothing. Counted through fragments
 * and regardless of @skip/@include, so what the rule sees is what could run.
 */
export const oneMutationFieldRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (operation.operation !== 'mutation') return;
    const fields = rootResponseNames(context, operation.selectionSet);
    if (fields.size <= 1) return;
    const names = [...fields].map((name) => `"${name}"`).join(', ');
    context.reportError(
      new GraphQLError(
        `A mutation operation may select only one mutation field, so that it is all or nothing; this one selects ${fields.size} (${names}). Send each mutation in its own operation.`,
        { nodes: operation },
      ),
    );
  },
});

/** Response names (alias or field name) selected at the root, fragments included. */
function rootResponseNames(
  context: ValidationContext,
  selectionSet: SelectionSetNode,
  names = new Set<string>(),
  visitedFragments = new Set<string>(),
): Set<string> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') {
        names.add(selection.alias?.value ?? selection.name.value);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      rootResponseNames(context, selection.selectionSet, names, visitedFragments);
    } else if (!visitedFragments.has(selection.name.value)) {
      visitedFragments.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) rootResponseNames(context, fragment.selectionSet, names, visitedFragments);
    }
  }
  return names;
}
