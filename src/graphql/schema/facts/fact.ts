import {
  Arg,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  ID,
  Int,
  ObjectType,
  Resolver,
  Root,
} from 'type-graphql';
import { type FactRecord, summarize, targetKey, type TitleRecord } from '../../../model';
import { AccuracySummary } from '../ratings/accuracy';
import { FACTS_PER_TITLE, listComplexity } from '../../pipeline/complexity';
import type { Context } from '../../request/context';
import { FactCategory, VerificationStatus } from '../enums';
import { toGlobalId } from '../node/ids';
import { Node } from '../node/node';
import { Title } from '../titles/title';

@ObjectType({ description: 'A source an editor checked a fact against.' })
export class VerificationSource {
  @Field({ description: 'Where to read it (http or https).' })
  url!: string;

  @Field({ description: 'What it is, e.g. "Wikipedia: Crash Landing on You".' })
  label!: string;
}

@ObjectType({
  description:
    "An editor's verdict on a fact, public so readers see which facts are checked, disputed or false.",
})
export class FactVerification {
  @Field(() => VerificationStatus, { description: 'What the sources say about the fact.' })
  status!: VerificationStatus;

  @Field(() => String, {
    nullable: true,
    description: 'What is right instead, or why the fact is disputed.',
  })
  note!: string | null;

  @Field(() => [VerificationSource], {
    description: 'The sources checked (none while UNVERIFIED).',
  })
  sources!: VerificationSource[];

  @Field(() => Date, { nullable: true, description: 'When an editor set it; null if never.' })
  updatedAt!: Date | null;
}

@Directive('@key(fields: "id")')
@ObjectType({
  implements: Node,
  description: 'A "Behind the Scenes" or "Did You Know?" fact on a title page.',
})
export class Fact extends Node {
  @Field(() => FactCategory, { description: 'The section of the page the fact is in.' })
  category!: FactCategory;

  @Field({ description: 'The fact as the page states it.' })
  text!: string;

  @Field(() => Int, { description: '1-based position within its category, as on the page.' })
  position!: number;

  @Field(() => FactVerification, {
    description: 'What an editor found when checking the fact; UNVERIFIED until someone does.',
  })
  verification!: FactVerification;

  @Field(() => Int, {
    description:
      "1 when added, +1 per editor change of this fact (text, move, verification): send it as updateFact's expectedRevision.",
  })
  revision!: number;

  @Field({ description: 'When revision last moved.' })
  updatedAt!: Date;
}

@Resolver(() => Fact)
export class FactResolver {
  @FieldResolver(() => ID, { description: "The fact's global ID." })
  id(@Root() fact: FactRecord): string {
    return toGlobalId('Fact', fact.id);
  }

  @FieldResolver(() => Title, { description: 'The title whose page shows this fact.' })
  async title(@Root() fact: FactRecord, @Ctx() ctx: Context) {
    return ctx.loaders.titleById.load(fact.titleId);
  }

  @FieldResolver(() => AccuracySummary, { description: "Viewers' ratings of this fact." })
  async accuracy(@Root() fact: FactRecord, @Ctx() ctx: Context) {
    const key = targetKey({ kind: 'FACT', titleId: fact.titleId, factId: fact.id });
    return summarize(await ctx.loaders.aggregateByTarget.load(key));
  }
}

/**
 * Title.facts lives here, beside Fact, so that title.ts need not import this
 * file: the dependency runs one way (fact -> title), never in a circle.
 */
@Resolver(() => Title)
export class TitleFactsResolver {
  @FieldResolver(() => [Fact], {
    description: 'Facts in page order: "Behind the Scenes" first, then "Did You Know?".',
    complexity: listComplexity((args) => (args.category ? FACTS_PER_TITLE / 2 : FACTS_PER_TITLE)),
  })
  async facts(
    @Root() title: TitleRecord,
    @Arg('category', () => FactCategory, {
      nullable: true,
      description: 'Only the facts of this section; omit for both.',
    })
    category: FactCategory | null,
    @Ctx() ctx: Context,
  ) {
    const facts = await ctx.loaders.factsByTitleId.load(title.id);
    return category ? facts.filter((fact) => fact.category === category) : facts;
  }
}
