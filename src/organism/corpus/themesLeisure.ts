/**
 * Themes of home and leisure: home, hobbies, weather, pets, sport, food. Original text written
 * for this project (see themesDaily.ts for the conventions).
 */
import type { Theme } from './types.js';

export const HOME: Theme = {
  name: 'home',
  objects: {
    fixture: ['boiler', 'washing machine', 'roof', 'front door lock', 'kitchen tap', 'fridge', 'heating system', 'garden fence', 'oven', 'shower'],
    furniture: ['new sofa', 'bookshelf', 'mattress', 'dining table', 'wardrobe', 'armchair'],
  },
  slots: { person: ['the landlord', 'the plumber', 'the electrician', 'the building manager', 'my flatmate', 'the repair firm'] },
  setups: [
    { text: 'The engineer came to look at the {obj} {time}.', object: 'fixture', category: 'fixture' },
    { text: 'I asked {person} to check the {obj} {time}, and they came round {later}.', object: 'fixture', category: 'fixture' },
    { text: 'I ordered the {obj} for the living room {time}, and the van pulled up {later}.', object: 'furniture', category: 'delivery' },
    { text: 'I reported the old {obj} to {person} {time}, and someone came to see it {later}.', object: 'fixture', category: 'fixture' },
    { text: 'I turned the {obj} on {time} after the long winter break.', object: 'fixture', category: 'fixture' },
    { text: 'I paid for the {obj} in the shop {time}, and the delivery came {later}.', object: 'furniture', category: 'delivery' },
  ],
};

export const HOBBIES: Theme = {
  name: 'hobbies',
  objects: {
    craft: ['painting', 'short story', 'photo series', 'clay vase', 'quilt', 'song recording', 'model ship', 'poem'],
    kit: ['new guitar', 'set of oil paints', 'sewing machine', 'telescope', 'camera lens', 'pottery wheel', 'drone'],
    show: ['art fair', 'open mic night', 'craft market', 'photo exhibition', 'choir concert', 'theatre show'],
  },
  slots: { person: ['the judges', 'the gallery owner', 'my art teacher', 'the club leader', 'the festival panel', 'the magazine editor'] },
  setups: [
    { text: 'I entered the {obj} in a local contest {time}, and {person} made the final call {later}.', object: 'craft', category: 'verdict' },
    { text: 'I sent the {obj} to {person} {time}, and their answer came {later}.', object: 'craft', category: 'verdict' },
    { text: 'I ordered the {obj} from a shop in the city {time}, and the courier came {later}.', object: 'kit', category: 'delivery' },
    { text: 'I saved up for the {obj} for months, and the parcel arrived {later}.', object: 'kit', category: 'delivery' },
    { text: 'Our club took part in the {obj} {time}.', object: 'show', category: 'plan' },
    { text: 'I practised for the {obj} every evening, and the day came {time}.', object: 'show', category: 'plan' },
  ],
};

export const WEATHER_THEME: Theme = {
  name: 'weather',
  objects: {
    outing: ['picnic', 'hike', 'beach day', 'garden party', 'outdoor wedding', 'bike ride', 'street festival', 'camping trip'],
  },
  slots: {},
  setups: [
    { text: 'We planned the {obj} for {weekday}, and I looked at the sky when I woke up.', object: 'outing', category: 'weather' },
    { text: 'I packed everything for the {obj} {time}, and we set off at nine.', object: 'outing', category: 'weather' },
    { text: 'The {obj} was booked for the long weekend, and the day came {time}.', object: 'outing', category: 'weather' },
    { text: 'I invited ten friends to the {obj}, and we met at the park {time}.', object: 'outing', category: 'weather' },
    { text: 'I spent the week planning the {obj}, and we started {time}.', object: 'outing', category: 'weather' },
    { text: 'Our family drove two hours to the {obj} {time}.', object: 'outing', category: 'weather' },
  ],
};

export const PETS: Theme = {
  name: 'pets',
  objects: {
    pet: ['puppy', 'old cat', 'rabbit', 'parrot', 'hamster', 'young horse', 'kitten', 'family dog'],
  },
  slots: { person: ['the vet', 'the pet sitter', 'my neighbour', 'the dog trainer'] },
  setups: [
    { text: 'I left the {obj} with {person} for the weekend, and I picked it up {time}.', object: 'pet', category: 'animal' },
    { text: 'I took the {obj} to {person} for a visit {time}.', object: 'pet', category: 'animal' },
    { text: 'I let the {obj} out into the garden {time}.', object: 'pet', category: 'animal' },
    { text: 'We brought the {obj} home from the shelter {time}.', object: 'pet', category: 'animal' },
    { text: 'I spent {effort} training the {obj}, and {person} came to see it {time}.', object: 'pet', category: 'animal' },
    { text: 'I came home from work {time} and went to check on the {obj}.', object: 'pet', category: 'animal' },
  ],
};

export const SPORT: Theme = {
  name: 'sport',
  objects: {
    team: ['football team', 'relay team', 'hockey team', 'chess club', 'rowing crew', 'basketball team', 'quiz team', 'volleyball squad'],
  },
  slots: {},
  setups: [
    { text: 'Our {obj} had trained for months, and the big match came {time}.', object: 'team', category: 'match' },
    { text: 'I joined our {obj} this season, and we played the cup game {time}.', object: 'team', category: 'match' },
    { text: 'Our {obj} travelled to the next town {time} for an away game.', object: 'team', category: 'match' },
    { text: 'Our {obj} met at the club house {time} before the final.', object: 'team', category: 'match' },
    { text: 'I coached our {obj} all spring, and the league game was {time}.', object: 'team', category: 'match' },
    { text: 'Our {obj} drew a strong opponent in the cup, and we played them {time}.', object: 'team', category: 'match' },
  ],
};

export const FOOD: Theme = {
  name: 'food',
  objects: {
    dish: ['vegetable soup', 'chicken curry', 'birthday cake', 'lasagne', 'apple pie', 'fish stew', 'pizza', 'mushroom risotto', 'roast lamb'],
  },
  slots: { person: ['the chef', 'the waiter', 'my flatmate', 'my grandmother', 'the caterer'] },
  setups: [
    { text: 'I ordered the {obj} at a new restaurant in town {time}.', object: 'dish', category: 'meal' },
    { text: 'I followed a new recipe for the {obj} {time}.', object: 'dish', category: 'meal' },
    { text: '{Person} made the {obj} for our dinner {time}.', object: 'dish', category: 'meal' },
    { text: 'We booked a table for two and ordered the {obj} {time}.', object: 'dish', category: 'meal' },
    { text: 'I picked up the {obj} from the deli {time} and served it at home.', object: 'dish', category: 'meal' },
    { text: 'I brought the {obj} to the office lunch {time}.', object: 'dish', category: 'meal' },
  ],
};
