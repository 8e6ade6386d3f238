import { Ctx, Field, FieldResolver, ID, Int, ObjectType, Resolver, Root } from 'type-graphql';
import { summarize } from '../accuracy/summary';
import type { FactRecord } from '../store/types';
import { targetKey } from '../store/types';
import { AccuracySummary } from './accuracy';
import type { Context } from './context';
import { FactCategory } from './enums';
import { toGlobalId } from './ids';
// Circular import with title.ts; TypeGraphQL resolves `() => Title` lazily.
import { Title } from './title';

@ObjectType({ description: 'A "Behind the Scenes" or "Did You Know?" fact on a title page.' })
export class Fact {
  @Field(() => ID)
  id!: string;

  @Field(() => FactCategory)
  category!: FactCategory;

  @Field()
  text!: string;

  @Field(() => Int, { description: '1-based position within its category, as on the page.' })
  position!: number;
}

@Resolver(() => Fact)
export class FactResolver {
  @FieldResolver(() => ID)
  id(@Root() fact: FactRecord): string {
    return toGlobalId('Fact', fact.id);
  }

  @FieldResolver(() => Title)
  async title(@Root() fact: FactRecord, @Ctx() ctx: Context) {
    return ctx.loaders.titleById.load(fact.titleId);
  }

  @FieldResolver(() => AccuracySummary, { description: "Viewers' ratings of this fact." })
  async accuracy(@Root() fact: FactRecord, @Ctx() ctx: Context) {
    const key = targetKey({ kind: 'FACT', titleId: fact.titleId, factId: fact.id });
    return summarize(await ctx.loaders.aggregateByTarget.load(key));
  }
}
