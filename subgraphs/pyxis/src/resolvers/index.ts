import type { Resolvers } from '../generated/graphql';
import { AssistanceType } from './AssistanceType';
import { Dispenser } from './Dispenser';
import { Material } from './Material';
import { Medicine } from './Medicine';
import { Query } from './Query';
import { StockSlot } from './StockSlot';

export const resolvers: Resolvers = { Query, Medicine, Material, AssistanceType, Dispenser, StockSlot };
