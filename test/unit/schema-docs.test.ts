import {
  type GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
} from 'graphql';
import { buildReelcheckSchema } from '../../src/graphql/schema/build';

/** Every schema element a client can see, as "Type", "Type.field", "Type.field(arg)" or "Enum.VALUE". */
function undocumented(type: GraphQLNamedType): string[] {
  const missing: string[] = type.description ? [] : [type.name];
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) {
      if (!field.description) missing.push(`${type.name}.${field.name}`);
      for (const arg of 'args' in field ? field.args : []) {
        if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
  }
  if (isEnumType(type)) {
    for (const value of type.getValues()) {
      if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
  }
  return missing;
}

describe('a self-explaining schema', () => {
  it('describes every type, field, argument, input field and enum value', async () => {
    const schema = await buildReelcheckSchema();
    const missing = Object.values(schema.getTypeMap())
      .filter((type) => !type.name.startsWith('__') && !isSpecifiedScalarType(type))
      .flatMap(undocumented);
    expect(missing).toEqual([]);
  });

  it('says where DateTime is specified (@specifiedBy)', async () => {
    const schema = await buildReelcheckSchema();
    expect(schema.getType('DateTime')).toMatchObject({
      specifiedByURL: expect.stringMatching(/^https:\/\//),
    });
  });
});
